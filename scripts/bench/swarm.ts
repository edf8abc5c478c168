/**
 * Swarm benchmark on loopback: gossip delivery latency across 5 nodes for 1,000 entries
 * (in-memory feeds, so the figure is the swarm's), a new member's cold sync of 100,000 entries
 * from another process with LevelDB ledgers on both ends (signatures checked), blob throughput
 * for a 200 MB file from a `farm join` process over /farm/blob/1, and the RSS of one idle
 * `farm join`. Baselines from the same run: an empty sync round trip; the same 100,000 entries
 * ledger to ledger without the network; the same blob with @libp2p/pnet's JavaScript protector
 * on both ends, and a raw TCP copy of it with sha256. Run after `npm run build`.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { preSharedKey } from '@libp2p/pnet'
import { openLedger } from '../../src/ledger/index.ts'
import {
  BlobStore,
  newSwarmSecret,
  readSwarmSecret,
  type Swarm,
  type SwarmInit,
} from '../../src/p2p/index.ts'
import { swarmKeyFile } from '../../src/p2p/swarm-key.ts'
import { memorySwarm } from '../../test/helpers/p2p-memory-feed.ts'
import { cpuSeconds, farm, rssMb, startFarmNode } from './lib/farm-process.ts'
import { buildHistory } from './lib/history.ts'
import { joinLedger, serveLedger } from './lib/ledger-peer.ts'

const ENTRY_PADDING = 250
const SYNC_ENTRIES = 100_000
const BLOB_MB = 200
const SELF = import.meta.filename

type Protector = 'native' | '@libp2p/pnet'
/** The farm's own protector (undefined: createFarmLibp2p's default) or @libp2p/pnet's, which older farms ran. */
const protectorOf = (kind: Protector, key: Uint8Array): SwarmInit['connectionProtector'] =>
  kind === 'native' ? undefined : preSharedKey({ psk: swarmKeyFile(key) })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until(check: () => boolean, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await sleep(5)
  }
}
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const goal = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal')
const load = () => `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`

if (process.argv[2] === '--blob-holder') await blobHolder(process.argv[3]!, process.argv[4] as Protector)
else await main()

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'farm-bench-swarm-'))
  const secret = newSwarmSecret()
  const swarms: Swarm[] = []
  const node = async (
    bootstrap: string[] = [],
    swarmKey = secret,
    opts: { sink?: boolean; protector?: Protector } = {},
  ) => {
    const made = await memorySwarm({
      secret: swarmKey,
      dir: await mkdtemp(join(root, 'n-')),
      bootstrap,
      connectionProtector: protectorOf(opts.protector ?? 'native', swarmKey),
    })
    // The farm node sends real ledger entries, which the in-memory stand-in cannot decode.
    if (opts.sink)
      made.feed.ingest = async (e) => ({ accepted: 0, duplicates: e.length, held: [], refused: [] })
    swarms.push(made.swarm)
    return made
  }
  const stopAll = () => Promise.all(swarms.splice(0).map((s) => s.stop()))

  try {
    console.log(
      `swarm bench on ${process.version}, ${load()}: wall figures swing with the load, CPU per MB less`,
    )
    // --- gossip: 5 nodes, full mesh, 1,000 entries appended round-robin one every 5 ms ----------
    const first = await node()
    const nodes = [first]
    for (let i = 1; i < 5; i++) nodes.push(await node(nodes.map((n) => n.swarm.addresses()[0]!)))
    await until(() => nodes.every((n) => n.swarm.gossipPeers() === 4), 'gossip mesh')
    await sleep(1500)
    const sentAt = new Map<string, number>()
    const latencies: number[] = []
    for (const n of nodes) {
      n.feed.onEntries((entries, _encoded, origin) => {
        if (origin !== 'remote') return
        const now = performance.now()
        for (const e of entries as { author: string; seq: number }[])
          latencies.push(now - sentAt.get(`${e.author}:${e.seq}`)!)
      })
    }
    for (let i = 0; i < 1000; i++) {
      const n = nodes[i % nodes.length]!
      const seq = (n.feed.feeds.get(n.feed.author)?.length ?? 0) + 1
      sentAt.set(`${n.feed.author}:${seq}`, performance.now())
      n.feed.append(1, ENTRY_PADDING)
      await sleep(5)
    }
    await until(() => latencies.length >= 4000, `4000 deliveries (have ${latencies.length})`, 30_000)
    latencies.sort((a, b) => a - b)
    const pings: number[] = []
    for (let i = 0; i < 50; i++) {
      const t = performance.now()
      await nodes[1]!.swarm.syncWith(nodes[0]!.swarm.id).then(() => undefined)
      pings.push(performance.now() - t)
    }
    pings.sort((a, b) => a - b)
    const p50 = pct(latencies, 50)
    const p99 = pct(latencies, 99)
    console.log(
      `gossip: 1000 entries x 4 receivers, p50 ${p50.toFixed(1)} ms (goal <= 50, ${goal(p50 <= 50)}), p99 ${p99.toFixed(1)} ms (goal <= 250, ${goal(p99 <= 250)})`,
    )
    console.log(
      `  baseline: an empty /farm/sync/1 round trip p50 ${pct(pings, 50).toFixed(1)} ms; gossip p50 / sync round trip = ${(p50 / pct(pings, 50)).toFixed(2)}`,
    )
    await stopAll()

    // --- a new member's cold sync of 100,000 entries from another process, LevelDB on both ends --
    const holderLedger = join(root, 'sync-holder', 'ledger')
    await buildHistory(holderLedger, SYNC_ENTRIES)
    const holder = await serveLedger(holderLedger, secret)
    let joined: Awaited<ReturnType<typeof joinLedger>>
    try {
      joined = await joinLedger(join(root, 'sync-newcomer', 'ledger'), secret, holder.address, SYNC_ENTRIES)
    } finally {
      await holder.stop()
    }
    const syncS = joined.seconds
    console.log(
      `sync: ${SYNC_ENTRIES.toLocaleString('en')} entries from another process, LevelDB and signature checks on both ends, in ${syncS.toFixed(2)} s from the newcomer's start (goal <= 15 s, ${goal(syncS <= 15)}); newcomer CPU ${joined.cpuSeconds.toFixed(1)} s, peak RSS ${joined.peakRssMb.toFixed(0)} MB`,
    )
    const direct = await directLedgerSync(holderLedger, join(root, 'sync-direct', 'ledger'))
    console.log(
      `  baseline: the same entries ledger to ledger in one process, no network, ${direct.toFixed(2)} s; over the swarm / direct = ${(syncS / direct).toFixed(2)}`,
    )

    // --- blob: 200 MB from a `farm join` process to this one (crypto runs on both ends) --------
    const size = BLOB_MB << 20
    const file = join(root, 'blob.bin')
    const out = createWriteStream(file)
    const chunk = randomBytes(1 << 20)
    for (let i = 0; i < BLOB_MB; i++) {
      chunk[0] = i
      out.write(Buffer.from(chunk))
    }
    await new Promise((r) => out.end(r))
    const holderHome = join(root, 'holder')
    await farm(['init', '--home', holderHome, '--listen', '/ip4/127.0.0.1/tcp/0'])
    const hash = await new BlobStore(join(holderHome, 'blobs')).put(file)
    const farmHolder = await startFarmNode(holderHome)
    let blob: Fetch
    try {
      blob = await fetchFrom(farmHolder, (await readSwarmSecret(holderHome))!, hash, 'native')
    } finally {
      await farmHolder.stop()
    }
    const blobMBps = BLOB_MB / blob.seconds
    console.log(
      `blob: ${BLOB_MB} MB fetched from a \`farm join\` process and verified at ${blobMBps.toFixed(0)} MB/s (goal >= 100, ${goal(blobMBps >= 100)}), ${load()}`,
    )
    console.log(`  ${blob.cpu}`)
    const jsSecret = newSwarmSecret()
    const jsHolder = await startBlobHolder(root, file, jsSecret, '@libp2p/pnet')
    let js: Fetch
    try {
      js = await fetchFrom(jsHolder, jsSecret, jsHolder.hash, '@libp2p/pnet')
    } finally {
      await jsHolder.stop()
    }
    console.log(
      `  baseline: the same fetch with @libp2p/pnet's JavaScript XSalsa20 on both ends (the protector farm ran before; the other blob changes stay) ${(BLOB_MB / js.seconds).toFixed(0)} MB/s; ${js.cpu}`,
    )
    const rawMBps = await rawTcpMBps(file, size)
    console.log(
      `  baseline: raw loopback TCP copy of the same file with sha256 ${rawMBps.toFixed(0)} MB/s; blob / raw = ${(blobMBps / rawMBps).toFixed(2)}`,
    )

    // --- RSS of an idle `farm join` ---------------------------------------------------------------
    const rssMB = await idleNodeRss(root)
    console.log(`idle node: RSS ${rssMB.toFixed(0)} MB after 5 s (goal <= 120, ${goal(rssMB <= 120)})`)
    console.log(`note: 2 cores shared with other test runs; figures are noisy (${load()} at the end)`)
    console.log(
      `gossip_p50_ms=${p50.toFixed(1)} sync100k_s=${syncS.toFixed(2)} blob_MBps=${blobMBps.toFixed(0)} blob_cpu_ms_per_MB=${blob.askerMsPerMB.toFixed(1)}/${blob.holderMsPerMB.toFixed(1)} blob_js_pnet_MBps=${(BLOB_MB / js.seconds).toFixed(0)}`,
    )
  } finally {
    await stopAll()
    await rm(root, { recursive: true, force: true })
  }

  type Fetch = { seconds: number; askerMsPerMB: number; holderMsPerMB: number; cpu: string }

  /** Fetches `hash` from a holder process into a fresh in-process node; wall time and CPU at both ends. */
  async function fetchFrom(
    from: { address: string; pid: number },
    key: Uint8Array,
    blobHash: string,
    protector: Protector,
  ): Promise<Fetch> {
    const asker = await node([from.address], key, { sink: true, protector })
    await until(() => asker.swarm.peers().length === 1, 'blob peer')
    let fullGcs = 0
    const gcs = new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
          fullGcs++
    })
    gcs.observe({ entryTypes: ['gc'] })
    const holderCpu0 = await cpuSeconds(from.pid)
    const cpu0 = process.cpuUsage()
    const t = performance.now()
    await asker.swarm.fetchBlob(blobHash)
    const seconds = (performance.now() - t) / 1000
    const cpu = process.cpuUsage(cpu0)
    const holderCpu = (await cpuSeconds(from.pid)) - holderCpu0
    gcs.disconnect()
    await stopAll()
    const askerMsPerMB = (cpu.user + cpu.system) / 1e3 / BLOB_MB
    const holderMsPerMB = (holderCpu * 1e3) / BLOB_MB
    return {
      seconds,
      askerMsPerMB,
      holderMsPerMB,
      cpu: `CPU per MB: asker ${askerMsPerMB.toFixed(1)} ms, holder ${holderMsPerMB.toFixed(1)} ms (a core each would move ${(1000 / Math.max(askerMsPerMB, holderMsPerMB)).toFixed(0)} MB/s); full GCs in the asker: ${fullGcs}`,
    }
  }
}

/** Seconds for an empty ledger in this process to take in everything the ledger at `from` holds. */
async function directLedgerSync(from: string, to: string): Promise<number> {
  const source = await openLedger({ path: from, privateKey: await generateKeyPair('Ed25519') })
  const target = await openLedger({ path: to, privateKey: await generateKeyPair('Ed25519') })
  const t = performance.now()
  await target.ingestStream(source.missing({}))
  const seconds = (performance.now() - t) / 1000
  await Promise.all([source.close(), target.close()])
  return seconds
}

/** The child side of startBlobHolder: stores the file, serves it with the protector named, prints its address and hash. */
async function blobHolder(file: string, protector: Protector) {
  const key = new Uint8Array(Buffer.from(process.env.FARM_BENCH_SECRET!, 'hex'))
  const dir = await mkdtemp(join(tmpdir(), 'farm-bench-blob-holder-'))
  const made = await memorySwarm({ secret: key, dir, connectionProtector: protectorOf(protector, key) })
  const hash = await made.blobs.put(file)
  process.stdout.write(`${made.swarm.addresses()[0]} ${hash}\n`)
  process.stdin.resume()
  await new Promise((r) => process.stdin.on('end', r))
  await made.swarm.stop()
  await rm(dir, { recursive: true, force: true })
}

/** A process (not `farm join`: it runs @libp2p/pnet's protector) that serves `file` as a blob. */
async function startBlobHolder(root: string, file: string, key: Uint8Array, protector: Protector) {
  const child = spawn(process.execPath, [SELF, '--blob-holder', file, protector], {
    env: { ...process.env, FARM_BENCH_SECRET: Buffer.from(key).toString('hex'), TMPDIR: root },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const [address, hash] = await new Promise<string[]>((resolveLine, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolveLine(out.trim().split(' '))
    })
    child.on('exit', (code) => reject(new Error(`the blob holder exited (${code})`)))
  })
  return {
    address: address!,
    hash: hash!,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.on('exit', r))
      child.stdin.end()
      await exited
    },
  }
}

async function rawTcpMBps(file: string, size: number): Promise<number> {
  const server = createServer((socket) => {
    const hasher = createHash('sha256')
    socket.on('data', (d) => hasher.update(d))
    socket.on('end', () => {
      hasher.digest()
      socket.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const t = performance.now()
  const { createReadStream } = await import('node:fs')
  await new Promise<void>((r, reject) => {
    const socket = connect(port, '127.0.0.1', () => createReadStream(file).pipe(socket))
    socket.on('close', () => r())
    socket.on('error', reject)
    socket.resume()
  })
  server.close()
  return size / 2 ** 20 / ((performance.now() - t) / 1000)
}

async function idleNodeRss(root: string): Promise<number> {
  const home = join(root, 'idle')
  await farm(['init', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0'])
  // --wupm, as a cached `farm bench` figure would: a fresh home otherwise spends these seconds on
  // its one-time WUPM measurement, which is rendering, not idling.
  const idle = await startFarmNode(home, ['--wupm', '1'])
  try {
    await sleep(5000)
    return await rssMb(idle.pid)
  } finally {
    await idle.stop()
  }
}
