import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { GOSSIP_TOPIC, MEMBER_TAG } from '../../src/p2p/constants.ts'
import { encodeGossip } from '../../src/p2p/gossip.ts'
import type { Swarm, SwarmEvents } from '../../src/p2p/index.ts'
import { redialDelay } from '../../src/p2p/members.ts'
import { tempDir } from '../helpers/farm.ts'
import { MemoryFeed } from '../helpers/p2p-memory-feed.ts'
import { StubNetwork, stubSwarm } from '../helpers/p2p-stub-libp2p.ts'

const swarms: Swarm[] = []
afterEach(async () => {
  vi.useRealTimers()
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

async function blobOf(holder: { blobs: { put(path: string): Promise<string> } }): Promise<string> {
  const file = join(await tempDir('farm-p2p-blob-'), 'frame.png')
  await writeFile(file, randomBytes(300_000))
  return holder.blobs.put(file)
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

  it('refuses a peer whose gossip is not entries: disconnected, untagged, never dialled again', async () => {
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
    await until(() => !a.libp2p.peerStore.tags(rogue.libp2p.id).includes(MEMBER_TAG), 'the tag to go')
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

  it('tags its remembered members and every peer it meets keep-alive, so libp2p redials them', async () => {
    const net = new StubNetwork()
    const member = await started(net)
    const a = await started(net, { bootstrap: [member.address] })
    const later = await started(net)
    await later.swarm.connect(a.address)
    await until(() => a.libp2p.peerStore.tags(later.libp2p.id).includes(MEMBER_TAG), 'the met peer tagged')
    expect(a.libp2p.peerStore.tags(member.libp2p.id)).toContain(MEMBER_TAG)
    const remembered = await a.libp2p.peerStore.get(member.libp2p.peerId)
    expect(remembered.addresses.map((x) => x.multiaddr.toString())).toEqual([
      member.libp2p.listenAddress.toString(),
    ])
  })

  it('tells who connected first, and gives up waiting when its signal says so', async () => {
    const net = new StubNetwork()
    const a = await started(net)
    expect(await a.swarm.waitForPeer({ signal: AbortSignal.timeout(20) })).toBeUndefined()
    const b = await started(net)
    const waiting = a.swarm.waitForPeer()
    await b.swarm.connect(a.address)
    expect((await waiting)?.id).toBe(b.libp2p.id)
    expect((await a.swarm.waitForPeer())?.id).toBe(b.libp2p.id)
  })

  it('logs a member it cannot reach at start as a warning, and its redial rounds as debug', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const net = new StubNetwork()
    const member = await net.node()
    const a = await started(net, { bootstrap: [`/memory/off/p2p/${member.id}`] })
    expect(a.logs[0]).toMatchObject({
      level: 'warn',
      message: expect.stringContaining('could not connect to'),
    })
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(a.logs.slice(1)).toEqual([
      {
        level: 'debug',
        message:
          'connected to no peer: none of the 1 remembered members answered; dialling them again in 2 s',
      },
      {
        level: 'debug',
        message:
          'connected to no peer: none of the 1 remembered members answered; dialling them again in 4 s',
      },
    ])
  })
})

describe('queries of a part above p2p', () => {
  it('asks a peer that answers the protocol, and says which peer does not speak it', async () => {
    const net = new StubNetwork()
    const a = await started(net)
    const b = await started(net)
    await b.swarm.answer('/farm/echo/1', async (request) => ({ echo: request }))
    await a.swarm.connect(b.address)
    expect(await a.swarm.ask(b.libp2p.id, '/farm/echo/1', 'hi')).toEqual({ echo: 'hi' })
    await expect(a.swarm.ask(b.libp2p.id, '/farm/other/1', 'hi')).rejects.toMatchObject({
      code: 'PROTOCOL_UNSUPPORTED',
      message: `peer ${b.libp2p.id} does not speak /farm/other/1`,
    })
  })
})

describe('reconnection to members', () => {
  it('waits 1 s, then twice as long each round, never more than 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((round) => redialDelay(round))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ])
  })

  it('dials a remembered member again while alone, stops once connected, and starts over when alone again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const net = new StubNetwork()
    const member = await net.node()
    const a = await started(net, { bootstrap: [member.getMultiaddrs()[0]!.toString()] })
    const dialsOfMember = () => a.libp2p.dials.filter((id) => id === member.id).length
    expect(dialsOfMember()).toBe(1)
    // Rounds at 1, 3, 7, 15, 31, 61 and 91 s after start: the waits double up to 30 s.
    let elapsed = 0
    for (const [at, dials] of [
      [1_000, 2],
      [3_000, 3],
      [7_000, 4],
      [15_000, 5],
      [31_000, 6],
      [61_000, 7],
      [91_000, 8],
    ] as const) {
      await vi.advanceTimersByTimeAsync(at - elapsed)
      elapsed = at
      expect(dialsOfMember(), `dials by ${at} ms`).toBe(dials)
    }
    await member.start()
    await vi.advanceTimersByTimeAsync(30_000)
    expect(a.swarm.peers().map((p) => p.id)).toEqual([member.id])
    const connectedAfter = dialsOfMember()
    await vi.advanceTimersByTimeAsync(300_000)
    expect(dialsOfMember()).toBe(connectedAfter)
    // The member goes away again: the first round comes 1 s later, not 30 s.
    await member.stop()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(dialsOfMember()).toBe(connectedAfter + 1)
  })
})

/** A swarm connected to `count` fresh peers in that order, so it asks them in that order. */
async function askerAmong(count: number) {
  const net = new StubNetwork()
  const peers: Awaited<ReturnType<typeof started>>[] = []
  for (let i = 0; i < count; i++) peers.push(await started(net))
  const asker = await started(net)
  for (const peer of peers) await asker.swarm.connect(peer.address)
  return { asker, peers }
}

describe('fetching a blob', () => {
  it('moves on to the next peer when one cannot be dialled, and gets the blob from one that has it', async () => {
    const { asker, peers } = await askerAmong(2)
    const [deaf, holder] = [peers[0]!, peers[1]!]
    asker.libp2p.refuseStreamsTo.add(deaf.libp2p.id)
    const hash = await blobOf(holder)
    expect(await asker.swarm.fetchBlob(hash)).toBe(asker.blobs.path(hash))
    expect(await asker.blobs.has(hash)).toBe(true)
    expect(asker.logs.map((l) => l.message)).toContainEqual(
      expect.stringMatching(
        new RegExp(`fetching blob ${hash} from ${deaf.libp2p.id} failed: .*protocol selection failed`),
      ),
    )
  })

  it('asks the next peer when one does not have it', async () => {
    const { asker, peers } = await askerAmong(2)
    const hash = await blobOf(peers[1]!)
    expect(await asker.swarm.fetchBlob(hash)).toBe(asker.blobs.path(hash))
  })

  it('says how many peers it tried and why each failed when none gives the blob', async () => {
    const { asker, peers } = await askerAmong(2)
    const [deaf, empty] = [peers[0]!, peers[1]!]
    asker.libp2p.refuseStreamsTo.add(deaf.libp2p.id)
    const hash = 'ab'.repeat(32)
    const failed = await asker.swarm.fetchBlob(hash).catch((err: Error) => err)
    expect(failed).toMatchObject({ code: 'BLOB_UNAVAILABLE' })
    expect((failed as Error).message).toMatch(
      new RegExp(
        `^blob ${hash} could not be fetched from any of the 2 peers tried \\(${deaf.libp2p.id}: .*protocol selection failed.*; ${empty.libp2p.id}: does not have it\\)$`,
      ),
    )
    asker.libp2p.refuseStreamsTo.clear()
    await expect(asker.swarm.fetchBlob(hash)).rejects.toMatchObject({
      code: 'BLOB_NOT_FOUND',
      message: `blob ${hash} was not found on any of the 2 connected peers`,
    })
  })

  it('keeps the one peer’s own error when asked to fetch from that peer', async () => {
    const { asker, peers } = await askerAmong(1)
    const deaf = peers[0]!
    asker.libp2p.refuseStreamsTo.add(deaf.libp2p.id)
    await expect(asker.swarm.fetchBlob('cd'.repeat(32), { from: deaf.libp2p.id })).rejects.toMatchObject({
      code: 'STREAM_OPEN_FAILED',
      message: expect.stringMatching(`could not open /farm/blob/1 with peer ${deaf.libp2p.id}`),
    })
  })
})
