/**
 * One swarm node with a real LevelDB ledger, in a process of its own, for the benches that sync
 * ledgers between processes (swarm, ledger). Runs the compiled dist when built, as `farm` does
 * (type stripping the sources costs ~30 MB of RSS by itself).
 *
 *   ledger-peer.ts serve <ledger dir> <swarm secret hex>
 *     prints its multiaddr, serves until its stdin closes
 *   ledger-peer.ts join <ledger dir> <swarm secret hex> <multiaddr> <entries>
 *     syncs from the node at <multiaddr> until it holds <entries>, prints one JSON line:
 *     {"seconds", "cpuSeconds", "peakRssMb", "entries"}, timed from the start of its swarm
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { openLedger } from '../../../src/ledger/index.ts'
import type { BlobStore, createSwarm, Swarm } from '../../../src/p2p/index.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const SELF = import.meta.filename

type Modules = { openLedger: typeof openLedger; createSwarm: typeof createSwarm; BlobStore: typeof BlobStore }

async function modules(): Promise<Modules> {
  const dist = (part: string) => join(ROOT, 'dist', part, 'index.js')
  if (existsSync(dist('ledger')) && existsSync(dist('p2p'))) {
    const [ledger, p2p] = await Promise.all([import(dist('ledger')), import(dist('p2p'))])
    return { openLedger: ledger.openLedger, createSwarm: p2p.createSwarm, BlobStore: p2p.BlobStore }
  }
  const [ledger, p2p] = await Promise.all([
    import('../../../src/ledger/index.ts'),
    import('../../../src/p2p/index.ts'),
  ])
  return { openLedger: ledger.openLedger, createSwarm: p2p.createSwarm, BlobStore: p2p.BlobStore }
}

async function peer(path: string, secretHex: string, bootstrap: string[]) {
  const m = await modules()
  const privateKey = await generateKeyPair('Ed25519')
  const ledger = await m.openLedger({ path, privateKey })
  const swarm: Swarm = await m.createSwarm({
    privateKey,
    swarmKey: new Uint8Array(Buffer.from(secretHex, 'hex')),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    mdns: false,
    feed: ledger,
    blobs: new m.BlobStore(join(path, '..', 'blobs')),
    syncIntervalMs: 600_000,
  })
  return { ledger, swarm }
}

async function peakRssMb(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8')
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

async function serve(path: string, secretHex: string) {
  const { ledger, swarm } = await peer(path, secretHex, [])
  process.stdout.write(`${swarm.addresses()[0]}\n`)
  process.stdin.resume()
  await new Promise((resolve) => process.stdin.on('end', resolve))
  await swarm.stop()
  await ledger.close()
}

async function joinFrom(path: string, secretHex: string, address: string, entries: number) {
  const cpu0 = process.cpuUsage()
  const started = performance.now()
  const { ledger, swarm } = await peer(path, secretHex, [address])
  const held = () => Object.values(ledger.state().clock).reduce((a, b) => a + b, 0)
  while (held() < entries) await new Promise((r) => setTimeout(r, 20))
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  const result = {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: await peakRssMb(),
    entries: held(),
  }
  await swarm.stop()
  await ledger.close()
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

/** A `serve` child: its address, and a stop that closes its stdin and waits for it to exit. */
export async function serveLedger(path: string, secret: Uint8Array) {
  const child = spawn(process.execPath, [SELF, 'serve', path, Buffer.from(secret).toString('hex')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const address = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve(out.trim())
    })
    child.on('exit', (code) => reject(new Error(`the ledger peer exited (${code}) before listening`)))
  })
  return {
    address,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.on('exit', r))
      child.stdin.end()
      await exited
    },
  }
}

/** Runs a `join` child to the end and returns what it measured. */
export async function joinLedger(path: string, secret: Uint8Array, address: string, entries: number) {
  const args = [SELF, 'join', path, Buffer.from(secret).toString('hex'), address, String(entries)]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const code = await new Promise((r) => child.on('exit', r))
  if (code !== 0) throw new Error(`the joining ledger peer exited with ${code}`)
  return JSON.parse(out.trim()) as { seconds: number; cpuSeconds: number; peakRssMb: number; entries: number }
}

const [role, ...args] = process.argv[1] === SELF ? process.argv.slice(2) : []
if (role === 'serve') await serve(args[0]!, args[1]!)
else if (role === 'join') await joinFrom(args[0]!, args[1]!, args[2]!, Number(args[3]))
