import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, existsSync } from 'node:fs'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeEntry } from '../../src/ledger/index.ts'
import {
  createFarmLibp2p,
  newSwarmSecret,
  type ReplicatedFeed,
  readSwarmSecret,
  type Swarm,
  type SwarmEvents,
} from '../../src/p2p/index.ts'
import { runFarm, tempDir } from '../helpers/farm.ts'
import { type MemoryFeed, memorySwarm } from '../helpers/p2p-memory-feed.ts'
import { initNode, ledgerOf, peersOf, startNode, waitFor } from '../helpers/p2p-nodes.ts'

const swarms: { stop(): void | Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(swarms.splice(0).map((s) => s.stop()))
})

async function swarmOf(
  secret: Uint8Array,
  opts: { bootstrap?: string[]; feed?: (author: string) => ReplicatedFeed } = {},
) {
  const dir = await tempDir('farm-p2p-swarm-')
  const node = await memorySwarm({ secret, dir, bootstrap: opts.bootstrap, makeFeed: opts.feed })
  swarms.push(node.swarm)
  return node
}

describe('gossip', () => {
  it('pushes a new entry to every peer at once, without waiting for a sync', async () => {
    const secret = newSwarmSecret()
    const a = await swarmOf(secret)
    const b = await swarmOf(secret, { bootstrap: [a.swarm.addresses()[0]!] })
    const c = await swarmOf(secret, { bootstrap: [a.swarm.addresses()[0]!, b.swarm.addresses()[0]!] })
    await waitFor(() => a.swarm.peers().length === 2 && b.swarm.peers().length === 2, 'a full mesh')
    await waitFor(() => gossipReady([a, b, c]), 'gossip subscriptions')
    const viaGossip: string[] = []
    for (const n of [b, c])
      n.swarm.on('entries:received', (e) => e.via === 'gossip' && viaGossip.push(n.swarm.id))
    ;(a.feed as MemoryFeed).append(3)
    await waitFor(
      () => [b, c].every((n) => (n.feed as MemoryFeed).count() === 3),
      'the entries on b and c',
      5_000,
    )
    expect(viaGossip.sort()).toEqual([b.swarm.id, c.swarm.id].sort())
    // A large batch (about 0.8 MB) is split into several gossip messages, still no sync needed.
    ;(a.feed as MemoryFeed).append(3000, 250)
    await waitFor(
      () => [b, c].every((n) => (n.feed as MemoryFeed).count() === 3003),
      'a large batch on b and c',
      10_000,
    )
    expect(viaGossip.length).toBeGreaterThan(4)
  })

  it('refuses a node of another swarm key', async () => {
    const a = await swarmOf(newSwarmSecret())
    const stranger = await swarmOf(newSwarmSecret())
    await expect(stranger.swarm.connect(a.swarm.addresses()[0]!)).rejects.toMatchObject({
      code: 'DIAL_FAILED',
    })
    expect(a.swarm.peers()).toEqual([])
  })
})

function gossipReady(nodes: { swarm: Swarm }[]): boolean {
  return nodes.every((n) => n.swarm.gossipPeers() >= nodes.length - 1)
}

describe('a peer sending a forged entry', () => {
  it('is disconnected by a real node and its entry is never applied', async () => {
    const home = await initNode('victim')
    const victim = await startNode(home)
    const secret = (await readSwarmSecret(home))!
    const forger = await swarmOf(secret, {
      feed: (author) => ({
        author,
        clock: async () => ({ [author]: 1 }),
        async *missing() {
          // Signed by some other key than the author's: a forgery the ledger must refuse.
          const other = await generateKeyPair('Ed25519')
          const body = { name: 'forged', owner: 'mallory', renderers: [], cores: 1, wupm: 0 }
          const fields = {
            v: 1,
            author,
            seq: 1,
            prev: null,
            lamport: 1,
            ts: Date.now(),
            type: 'node' as const,
            body,
          }
          yield [(await encodeEntry(fields, other)).encoded]
        },
        ingest: async () => ({ accepted: 0, duplicates: 0, held: [], refused: [] }),
        onEntries: () => () => undefined,
      }),
    })
    // A member, or the victim would serve it nothing but /farm/admit/1 (a stranger's entries never reach a feed).
    expect((await runFarm(['admit', forger.swarm.id, '--home', home])).exitCode).toBe(0)
    await forger.swarm.connect(victim.address)
    await waitFor(
      () => victim.log.find((l) => l.includes(`peer ${forger.swarm.id} misbehaved and was disconnected`)),
      'the victim to disconnect the forger',
    )
    await waitFor(() => forger.swarm.peers().length === 0, 'the forger to be disconnected')
    expect(victim.log.join('\n')).toMatch(/BAD_SIGNATURE/)
    expect((await ledgerOf(home)).clock[forger.swarm.id]).toBeUndefined()
    // Banned until the victim restarts: a reconnection is closed as soon as the forger is identified.
    await forger.swarm.connect(victim.address).catch(() => undefined)
    await waitFor(() => forger.swarm.peers().length === 0, 'the reconnection to be refused')
    expect((await peersOf(home)).map((p) => p.id)).not.toContain(forger.swarm.id)
  })
})

describe('/farm/blob/1 over TCP', () => {
  it('fetches a 50 MB file by hash from whichever peer has it', async () => {
    const secret = newSwarmSecret()
    const empty = await swarmOf(secret)
    const holder = await swarmOf(secret)
    const asker = await swarmOf(secret, {
      bootstrap: [empty.swarm.addresses()[0]!, holder.swarm.addresses()[0]!],
    })
    const file = join(await tempDir(), 'scene.tar')
    const hasher = createHash('sha256')
    const out = createWriteStream(file)
    for (let i = 0; i < 50; i++) {
      const chunk = randomBytes(1 << 20)
      hasher.update(chunk)
      out.write(chunk)
    }
    await new Promise((resolve) => out.end(resolve))
    const hash = await holder.blobs.put(file)
    expect(hash).toBe(hasher.digest('hex'))
    await waitFor(() => asker.swarm.peers().length === 2, 'both peers')
    const path = await asker.swarm.fetchBlob(hash)
    expect(path).toBe(asker.blobs.path(hash))
    expect(await asker.blobs.size(hash)).toBe(50 << 20)
    expect(await empty.blobs.has(hash)).toBe(false)
  })

  it('refuses a tampered transfer and resumes a broken one, leaving nothing partial in the store', async () => {
    const secret = newSwarmSecret()
    const holder = await swarmOf(secret)
    const asker = await swarmOf(secret, { bootstrap: [holder.swarm.addresses()[0]!] })
    await waitFor(() => asker.swarm.peers().length === 1, 'the holder')

    const liar = await holder.blobs.put(Readable.from(blobSource(4 << 20)))
    await writeFile(holder.blobs.path(liar), randomBytes(4 << 20))
    await expect(asker.swarm.fetchBlob(liar, { from: holder.swarm.id })).rejects.toMatchObject({
      code: 'BLOB_MISMATCH',
    })
    expect(await asker.blobs.has(liar)).toBe(false)
    expect(existsSync(asker.blobs.partialPath(liar))).toBe(false)

    const hash = await holder.blobs.put(Readable.from(blobSource(20 << 20)))
    const broken = new AbortController()
    const first = asker.swarm.fetchBlob(hash, {
      signal: broken.signal,
      onProgress: ({ received }) => received > 5 << 20 && broken.abort(),
    })
    await expect(first).rejects.toThrow()
    expect(await asker.blobs.has(hash)).toBe(false)
    let resumedAt = 0
    await asker.swarm.fetchBlob(hash, { onProgress: (p) => (resumedAt ||= p.received) })
    expect(resumedAt).toBeGreaterThan(5 << 20)
    expect(await asker.blobs.size(hash)).toBe(20 << 20)
    expect(await readdir(join(asker.blobs.dir, 'tmp'))).toEqual([])
  })

  it('moves on from a connected peer that does not serve blobs to one that has the blob', async () => {
    const secret = newSwarmSecret()
    // A member of the swarm (same key) with no /farm/blob/1 handler: opening the stream fails.
    const bare = await createFarmLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      swarmKey: secret,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      mdns: false,
      refuses: () => false,
    })
    await bare.start()
    swarms.push(bare)
    const holder = await swarmOf(secret)
    const asker = await swarmOf(secret)
    const logs: SwarmEvents['log'][0][] = []
    asker.swarm.on('log', (entry) => logs.push(entry))
    // Connected first, so asked first.
    await asker.swarm.connect(bare.getMultiaddrs()[0]!.toString())
    await asker.swarm.connect(holder.swarm.addresses()[0]!)
    const hash = await holder.blobs.put(Readable.from(blobSource(1 << 20)))
    expect(await asker.swarm.fetchBlob(hash)).toBe(asker.blobs.path(hash))
    expect(await asker.blobs.size(hash)).toBe(1 << 20)
    expect(logs).toContainEqual({
      level: 'debug',
      message: expect.stringContaining(
        `fetching blob ${hash} from ${bare.peerId} failed: peer ${bare.peerId} does not speak /farm/blob/1`,
      ),
    })
  })
})

describe('reconnection to members over TCP', () => {
  it('dials a remembered member again until it is back, with no caller running a loop', async () => {
    const secret = newSwarmSecret()
    const memberKey = await generateKeyPair('Ed25519')
    const dir = await tempDir('farm-p2p-member-')
    const first = await memorySwarm({ secret, dir, privateKey: memberKey })
    const address = first.swarm.addresses()[0]!
    await first.swarm.stop()
    const lonely = await swarmOf(secret, { bootstrap: [address] })
    expect(lonely.swarm.peers()).toEqual([])
    // libp2p's bootstrap discovery dials once, 1 s after start: the member is back only after that,
    // as the same peer on the same port, and knows no one to dial.
    await new Promise((r) => setTimeout(r, 1_500))
    const port = /\/tcp\/(\d+)\//.exec(address)![1]
    const back = await memorySwarm({
      secret,
      dir,
      privateKey: memberKey,
      listen: [`/ip4/127.0.0.1/tcp/${port}`],
    })
    swarms.push(back.swarm)
    const joined = await lonely.swarm.waitForPeer({ signal: AbortSignal.timeout(20_000) })
    expect(joined?.id).toBe(back.swarm.id)
  })
})

function blobSource(bytes: number) {
  return (async function* () {
    for (let sent = 0; sent < bytes; sent += 1 << 20) yield randomBytes(1 << 20)
  })()
}
