import { streamPair } from '@libp2p/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { ADMIT_PROTOCOL, GOSSIP_TOPIC } from '../../src/p2p/constants.ts'
import { encodeGossip } from '../../src/p2p/gossip.ts'
import type { MembershipView, PeerStanding, Swarm, SwarmEvents } from '../../src/p2p/index.ts'
import { FLOOD_ENTRY_BURST, PeerMeters, TokenBucket } from '../../src/p2p/limits.ts'
import { runSync } from '../../src/p2p/sync.ts'
import { MemoryFeed } from '../helpers/p2p-memory-feed.ts'
import { StubNetwork, stubSwarm } from '../helpers/p2p-stub-libp2p.ts'

/** What a ledger would say of each peer: a set of members and a set of removed ones. */
class StubMembership implements MembershipView {
  readonly admitted = new Set<string>()
  readonly removed = new Set<string>()
  private readonly listeners = new Set<() => void>()

  standing(peer: string): PeerStanding {
    if (this.removed.has(peer)) return 'revoked'
    return this.admitted.has(peer) ? 'member' : 'stranger'
  }

  members(): string[] {
    return [...this.admitted].filter((p) => !this.removed.has(p))
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  change(fn: () => void): void {
    fn()
    for (const listener of this.listeners) listener()
  }
}

const swarms: Swarm[] = []
afterEach(async () => {
  await Promise.all(swarms.splice(0).map((s) => s.stop()))
})

async function node(net: StubNetwork, view?: StubMembership, windowMs = 60_000) {
  const made = await stubSwarm(net, {
    ...(view ? { membership: view } : {}),
    strangers: { windowMs, retryMs: 60_000 },
  })
  const logs: string[] = []
  made.swarm.on('log', (entry: SwarmEvents['log'][0]) => logs.push(`${entry.level} ${entry.message}`))
  swarms.push(made.swarm)
  await made.swarm.start()
  return { ...made, logs, feed: made.feed as MemoryFeed, address: made.swarm.addresses()[0]! }
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Two members that synced with each other, so both tell strangers apart. */
async function twoMembers(net: StubNetwork, windowMs?: number) {
  const view = new StubMembership()
  const a = await node(net, view, windowMs)
  const b = await node(net, view, windowMs)
  view.admitted.add(a.libp2p.id).add(b.libp2p.id)
  a.feed.append(3)
  await b.swarm.connect(a.address)
  await until(() => b.feed.count() === 3, 'the members to sync')
  return { view, a, b }
}

describe('the admission gate', () => {
  it('lets a stranger speak only /farm/admit/1 during its window, then disconnects and refuses it', async () => {
    const net = new StubNetwork()
    const { a } = await twoMembers(net, 300)
    await a.swarm.answer(ADMIT_PROTOCOL, async (request) => ({ heard: request }))
    const stranger = await node(net)
    stranger.feed.append(5)
    await stranger.swarm.connect(a.address)
    expect(await stranger.swarm.ask(a.libp2p.id, ADMIT_PROTOCOL, 'let me in')).toEqual({ heard: 'let me in' })
    // Its sync is refused, its gossip ignored: none of its entries reach the member.
    expect(await stranger.swarm.syncWith(a.libp2p.id)).toBeUndefined()
    const verdict = await a.libp2p.services.pubsub.receive(
      stranger.libp2p.peerId,
      GOSSIP_TOPIC,
      encodeGossip(stranger.feed.append(1)),
    )
    expect(verdict).toBe('ignore')
    expect(a.feed.feeds.has(stranger.libp2p.id)).toBe(false)
    await until(() => a.swarm.peers().length === 1, 'the window to end')
    expect(a.logs.join('\n')).toContain(
      `peer ${stranger.libp2p.id} disconnected: no member admitted it within 0.3 s; refused for 60 s`,
    )
    await expect(stranger.swarm.connect(a.address)).rejects.toThrow(/gater/)
  })

  it('keeps a stranger admitted during its window as a member', async () => {
    const net = new StubNetwork()
    const { view, a } = await twoMembers(net, 300)
    const joiner = await node(net)
    await joiner.swarm.connect(a.address)
    view.change(() => view.admitted.add(joiner.libp2p.id))
    await new Promise((r) => setTimeout(r, 500))
    expect(a.swarm.peers().map((p) => p.id)).toContain(joiner.libp2p.id)
    joiner.feed.append(2)
    await until(() => a.feed.feeds.get(joiner.libp2p.id)?.length === 2, "the joiner's gossip to count")
  })

  it('disconnects a member the moment it is removed, and refuses it from then on', async () => {
    const net = new StubNetwork()
    const { view, a, b } = await twoMembers(net)
    view.change(() => view.removed.add(b.libp2p.id))
    await until(() => a.swarm.peers().length === 0, 'the removed member to go')
    expect(a.logs).toContain(`info peer ${b.libp2p.id} disconnected: it was removed from the swarm`)
    await expect(b.swarm.connect(a.address)).rejects.toThrow(/gater/)
    expect(a.swarm.refuses(b.libp2p.id)).toBe(true)
  })

  it('serves everyone until it has synced with a member: it cannot tell strangers apart before', async () => {
    const net = new StubNetwork()
    const view = new StubMembership()
    const fresh = await node(net, view)
    const peer = await node(net)
    view.admitted.add(fresh.libp2p.id).add('12D3KooWDmbEzCLnKtoNuBEBLRwiNSXNMUiFwNEhqN8tacYMDuAx')
    peer.feed.append(4)
    await fresh.swarm.connect(peer.address)
    await until(() => fresh.feed.count() === 4, 'the sync with a peer it cannot judge')
  })

  it('meets only the members a peer offers, never the other addresses in its list', async () => {
    const net = new StubNetwork()
    const view = new StubMembership()
    const a = await node(net, view)
    const b = await node(net)
    const c = await node(net)
    // A stranger that dials nobody itself: whatever reaches it, a dialled.
    const stranger = await node(net, new StubMembership())
    view.admitted.add(a.libp2p.id).add(b.libp2p.id).add(c.libp2p.id)
    await c.swarm.connect(b.address)
    await stranger.swarm.connect(b.address)
    await a.swarm.connect(b.address)
    // Either may dial the other first: both learn of each other from b.
    await until(() => a.swarm.peers().some((p) => p.id === c.libp2p.id), 'a and c to meet')
    await a.swarm.syncWith(b.libp2p.id)
    expect(a.libp2p.dials).not.toContain(stranger.libp2p.id)
  })

  it('disconnects a member flooding its own feed and refuses it from then on', async () => {
    const net = new StubNetwork()
    const { a, b } = await twoMembers(net)
    b.feed.append(FLOOD_ENTRY_BURST + 2_000)
    await until(() => a.swarm.peers().length === 0, 'the flooder to be disconnected')
    expect(a.logs.join('\n')).toMatch(
      new RegExp(
        `warn peer ${b.libp2p.id} disconnected: flooded: entries to its own feed beyond 20000 at once .*; refused for 10 min`,
      ),
    )
    await expect(b.swarm.connect(a.address)).rejects.toThrow(/gater/)
  })

  it('blames the author of a flood, never its relay, and no one for history written at honest rates', async () => {
    const net = new StubNetwork()
    const view = new StubMembership()
    const [a, b, flooder] = [await node(net, view), await node(net, view), await node(net, view)]
    for (const n of [a, b, flooder]) view.admitted.add(n.libp2p.id)
    const old = '12D3KooWDmbEzCLnKtoNuBEBLRwiNSXNMUiFwNEhqN8tacYMDuAx'
    b.feed.seed(old, FLOOD_ENTRY_BURST + 1_000)
    await a.swarm.connect(b.address)
    await until(() => a.feed.count() === FLOOD_ENTRY_BURST + 1_000, 'a to catch up')
    expect(a.swarm.refuses(old)).toBe(false)
    // The flooder reaches b alone; a gets its flood from b.
    await flooder.swarm.connect(b.address)
    flooder.feed.append(FLOOD_ENTRY_BURST + 5_000)
    await until(() => b.swarm.refuses(flooder.libp2p.id), 'b to cut the flooder off')
    await a.swarm.syncWith(b.libp2p.id)
    expect(a.swarm.refuses(flooder.libp2p.id)).toBe(true)
    expect(a.swarm.peers().map((p) => p.id)).toEqual([b.libp2p.id])
  })
})

describe('flood bounds', () => {
  it('a token bucket gives its burst at once, then its rate, and nothing for a time gone back', () => {
    let now = 0
    const bucket = new TokenBucket(60, 10, () => now)
    expect(bucket.take(10)).toBe(true)
    expect(bucket.take(1)).toBe(false)
    now += 5_000
    expect(bucket.take(5)).toBe(true)
    expect(bucket.take(1)).toBe(false)
    expect(bucket.take(1, 3_000)).toBe(false)
    expect(bucket.take(2, 7_000)).toBe(true)
  })

  it('meters each peer apart, and names the bound it went over', () => {
    const meters = new PeerMeters(() => 0)
    for (let i = 0; i < 60; i++) expect(meters.spend('sessions', 'p')).toBeUndefined()
    expect(meters.spend('sessions', 'p')).toBe('sync sessions beyond 60 at once and 60 a minute')
    expect(meters.spend('sessions', 'q')).toBeUndefined()
  })
})

describe('a bounded sync session', () => {
  it('stops at its bound and says there is more, and the next session carries on', async () => {
    const a = new MemoryFeed('A')
    const b = new MemoryFeed('B')
    a.seed('A', 100)
    const bounds = { batches: 3 }
    const run = async () => {
      const [left, right] = await streamPair()
      return Promise.all([
        runSync(left, a, { peer: 'B', batchEntries: 10, bounds }),
        runSync(right, b, { peer: 'A', batchEntries: 10, bounds }),
      ])
    }
    const [first] = await run()
    expect(first).toMatchObject({ sent: 30, more: true })
    expect(b.count()).toBe(30)
    for (let i = 0; i < 2; i++) await run()
    const [last] = await run()
    expect(last).toMatchObject({ sent: 10, more: false })
    expect(b.count()).toBe(100)
  })

  it('breaks off a sender that goes past the bound', async () => {
    const a = new MemoryFeed('A')
    const b = new MemoryFeed('B')
    a.seed('A', 100)
    const [left, right] = await streamPair()
    const [, receiving] = await Promise.allSettled([
      runSync(left, a, { peer: 'B', batchEntries: 10 }),
      runSync(right, b, { peer: 'A', batchEntries: 10, bounds: { batches: 2 } }),
    ])
    expect(receiving).toMatchObject({ status: 'rejected', reason: { code: 'PROTOCOL' } })
    expect((receiving as PromiseRejectedResult).reason.message).toContain(
      'it sent more than one sync session carries',
    )
  })
})
