import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { initNode, newHome, peersOf, startNode, waitFor } from '../helpers/p2p-nodes.ts'

/**
 * mDNS multicasts on every interface, so it only ever runs inside a network namespace made here:
 * its loopback is the only interface, with multicast on, and nothing leaves it.
 */
const root = process.getuid?.() === 0
const setup = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo'
const unshareArgs = root ? ['-n'] : ['-r', '-n']
const probe = spawnSync('unshare', [...unshareArgs, 'sh', '-c', setup], { encoding: 'utf8' })
const unavailable =
  probe.error?.message ?? (probe.status === 0 ? undefined : `unshare failed: ${probe.stderr.trim()}`)
if (unavailable !== undefined) {
  process.stderr.write(`p2p-mdns: skipped, network namespaces are not allowed here (${unavailable})\n`)
}

let namespace: ChildProcess | undefined
afterAll(async () => {
  if (namespace?.exitCode !== null && namespace?.exitCode !== undefined) return
  const exited = new Promise((resolve) => namespace?.once('exit', resolve))
  namespace?.kill('SIGKILL')
  if (namespace) await exited
})

async function makeNamespace(): Promise<string[]> {
  const holder = spawn('unshare', [...unshareArgs, 'sh', '-c', `${setup} && echo ready && exec sleep 600`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  namespace = holder
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve())
    holder.once('exit', () => reject(new Error('the network namespace could not be made')))
  })
  const pid = String(holder.pid)
  return root ? ['nsenter', '-t', pid, '-n'] : ['nsenter', '-t', pid, '-U', '-n', '--preserve-credentials']
}

describe.skipIf(unavailable !== undefined)('mDNS discovery', () => {
  it('finds and connects two members of a swarm on the same LAN with no invite addresses', async () => {
    const netns = await makeNamespace()
    const aHome = await initNode('mdns-a')
    // B holds the swarm key but knows no address: only mDNS can bring the two together.
    const bHome = await newHome('mdns-b')
    await mkdir(bHome, { recursive: true, mode: 0o700 })
    await copyFile(join(aHome, 'swarm.key'), join(bHome, 'swarm.key'))
    const config = JSON.parse(await readFile(join(aHome, 'config.json'), 'utf8'))
    await writeFile(join(bHome, 'config.json'), JSON.stringify({ ...config, name: 'mdns-b', bootstrap: [] }))

    const a = await startNode(aHome, [], netns)
    const b = await startNode(bHome, [], netns)
    // A log line names a peer by its node name once known, else by the tail of its id.
    const joined = (name: string, id: string) => new RegExp(`peer (${name}|…${id.slice(-6)}) joined`)
    await waitFor(() => a.log.find((l) => joined('mdns-b', b.id).test(l)), 'a to discover b by mDNS', 60_000)
    expect(b.log.join('\n')).toMatch(joined('mdns-a', a.id))
    expect((await peersOf(aHome)).map((p) => p.id)).toEqual([b.id])
  })
})
