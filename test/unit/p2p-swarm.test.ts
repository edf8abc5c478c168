import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { afterEach, describe, expect, it } from 'vitest'
import { GOSSIP_TOPIC } from '../../src/p2p/constants.ts'
import { encodeGossip } from '../../src/p2p/gossip.ts'
import type { Swarm, SwarmEvents } from '../../src/p2p/index.ts'
import { tempDir } from '../helpers/farm.ts'
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
