import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { adoptInvite, readConfig, writeConfig } from '../../src/farm/index.ts'
import { encodeInvite, issueToken, loadOrCreateIdentity, readGenesis } from '../../src/p2p/index.ts'
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

/** A `peer:joined` log line about `peer`, named by its name or the tail of its id. */
function joined(line: string, peer: string): boolean {
  return / peer:joined /.test(line) && (line.includes(peer.slice(-6)) || /peer mdns-[ab] joined/.test(line))
}

describe.skipIf(unavailable !== undefined)('mDNS discovery', () => {
  it('finds and connects two members of a swarm on the same LAN with no invite addresses', async () => {
    const netns = await makeNamespace()
    const aHome = await initNode('mdns-a')
    // B holds an invite that names no address: only mDNS can bring the two together.
    const genesis = (await readGenesis(aHome))!
    const key = await loadOrCreateIdentity(aHome)
    const token = await issueToken(key, genesis, { expires: Date.now() + 600_000, uses: 1 })
    const bHome = await newHome('mdns-b')
    await adoptInvite(bHome, encodeInvite({ genesis, token, addresses: [] }), { name: 'mdns-b' })
    await writeConfig(bHome, { ...(await readConfig(bHome))!, listen: ['/ip4/127.0.0.1/tcp/0'] })

    const a = await startNode(aHome, [], netns)
    const b = await startNode(bHome, [], netns)
    await waitFor(() => a.log.find((l) => joined(l, b.id)), 'a to discover b by mDNS', 60_000)
    // b logs its side of the same connection a moment later.
    await waitFor(() => b.log.find((l) => joined(l, a.id)), 'b to log a joining', 10_000)
    expect((await peersOf(aHome)).map((p) => p.id)).toEqual([b.id])
  })
})
