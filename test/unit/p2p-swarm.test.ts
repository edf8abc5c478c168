import { randomBytes } from 'node:crypto'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { afterEach, describe, expect, it } from 'vitest'
import { GOSSIP_TOPIC } from '../../src/p2p/constants.ts'
import { encodeGossip } from '../../src/p2p/gossip.ts'
import type { Swarm, SwarmEvents } from '../../src/p2p/index.ts'
import { MemoryFeed } from '../helpers/p2p-memory-feed.ts'
import { StubNetwork, stubSwarm } from '../helpers/p2p-stub-libp2p.ts'

const swarms: Swarm[] = []
afterEach(async () => {
  await Promise.all(swarms.splice(0).map((s) => s.stop()))
})

async function started(net: StubNetwork, opts: Parameters<typeof stubSwarm>[1] = {}) {
  const node = await stubSwarm(net, opts)
  const logs: SwarmEvents['log'][0][] = []
  node.swarm.on('log', (entry) => logs.push(entry))
  swarms.push(node.swarm)
  await node.swarm.start()
  return { ...node, logs, address: node.swarm.addresses()[0]! }
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('a swarm on a stub libp2p node', () => {
  it('syncs with a peer as soon as it connects, then gossips each new entry to it', async () => {
    const net = new StubNetwork()
    const a = await started(net)
    ;(a.feed as MemoryFeed).seed(a.libp2p.id, 5)
    const b = await started(net)
    const via: string[] = []
    b.swarm.on('entries:received', (e) => via.push(`${e.via}:${e.accepted}`))
    await b.swarm.connect(a.address)
    await until(() => (b.feed as MemoryFeed).count() === 5, 'the sync on connect')
    ;(a.feed as MemoryFeed).append(2)
    await until(() => (b.feed as MemoryFeed).count() === 7, 'the gossip')
    expect(via).toEqual(['sync:5', 'gossip:2'])
  })

  it('refuses a peer whose gossip is not entries: disconnected and never dialled again', async () => {
    const net = new StubNetwork()
    const a = await started(net)
    const rogue = await started(net)
    await rogue.swarm.connect(a.address)
    const misbehaved: string[] = []
    a.swarm.on('peer:misbehaved', (p) => misbehaved.push(`${p.id} ${p.reason}`))
    const verdict = await a.libp2p.services.pubsub.receive(rogue.libp2p.peerId, GOSSIP_TOPIC, randomBytes(40))
    expect(verdict).toBe(TopicValidatorResult.Reject)
    expect(misbehaved).toEqual([`${rogue.libp2p.id} a gossip message that is not CBOR`])
    expect(a.swarm.peers()).toEqual([])
    expect(a.swarm.refuses(rogue.libp2p.id)).toBe(true)
    const dials = a.libp2p.dials.length
    a.libp2p.discover(rogue.libp2p)
    expect(a.libp2p.dials.length).toBe(dials)
  })

  it('rejects a forged entry gossiped to it, never applies it, and refuses its sender', async () => {
    const net = new StubNetwork()
    const a = await started(net)
    const forger = await started(net)
    await forger.swarm.connect(a.address)
    const forged = MemoryFeed.entry(forger.libp2p.id, 1, false)
    const verdict = await a.libp2p.services.pubsub.receive(
      forger.libp2p.peerId,
      GOSSIP_TOPIC,
      encodeGossip([forged]),
    )
    expect(verdict).toBe(TopicValidatorResult.Reject)
    expect((a.feed as MemoryFeed).count()).toBe(0)
    expect(a.swarm.refuses(forger.libp2p.id)).toBe(true)
  })

  it('dials the members a peer is connected to, so a swarm joined through one member becomes a mesh', async () => {
    const net = new StubNetwork()
    const hub = await started(net)
    const b = await started(net, { bootstrap: [hub.address] })
    const c = await started(net, { bootstrap: [hub.address] })
    await until(() => c.swarm.peers().some((p) => p.id === b.libp2p.id), 'c to meet b')
    expect(b.swarm.peers().map((p) => p.id)).toContain(c.libp2p.id)
  })

  it('logs a member it cannot reach at start as a warning', async () => {
    const net = new StubNetwork()
    const member = await net.node()
    const a = await started(net, { bootstrap: [`/memory/off/p2p/${member.id}`] })
    expect(a.logs).toEqual([
      {
        level: 'warn',
        message: expect.stringMatching(
          `^could not connect to /memory/off/p2p/${member.id} \\(Error: connection refused`,
        ),
      },
    ])
  })
})
