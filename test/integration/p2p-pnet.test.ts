import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { preSharedKey } from '@libp2p/pnet'
import { afterEach, describe, expect, it } from 'vitest'
import { newSwarmSecret, type Swarm } from '../../src/p2p/index.ts'
import { swarmKeyFile } from '../../src/p2p/swarm-key.ts'
import { tempDir } from '../helpers/farm.ts'
import { type MemoryFeed, memorySwarm } from '../helpers/p2p-memory-feed.ts'
import { waitFor } from '../helpers/p2p-nodes.ts'

const swarms: Swarm[] = []
afterEach(async () => {
  await Promise.all(swarms.splice(0).map((s) => s.stop()))
})

/** A node as farm builds it now (the native protector), or as an older farm did (@libp2p/pnet's). */
async function nodeOf(secret: Uint8Array, protector: 'native' | '@libp2p/pnet', bootstrap: string[] = []) {
  const node = await memorySwarm({
    secret,
    dir: await tempDir('farm-p2p-pnet-'),
    bootstrap,
    connectionProtector: protector === 'native' ? undefined : preSharedKey({ psk: swarmKeyFile(secret) }),
  })
  swarms.push(node.swarm)
  return { ...node, feed: node.feed as MemoryFeed, address: node.swarm.addresses()[0]! }
}

function blobSource(bytes: number) {
  return Readable.from(
    (async function* () {
      for (let sent = 0; sent < bytes; sent += 1 << 20) yield randomBytes(1 << 20)
    })(),
  )
}

describe('nodes of both private network protectors in one swarm', () => {
  it('sync, gossip and move blobs both ways between a @libp2p/pnet node and a native one', async () => {
    const secret = newSwarmSecret()
    const older = await nodeOf(secret, '@libp2p/pnet')
    older.feed.seed(older.feed.author, 500, 200)
    const newer = await nodeOf(secret, 'native', [older.address])
    await waitFor(() => newer.feed.count() === 500, 'the sync on connect')
    await waitFor(() => older.swarm.gossipPeers() === 1 && newer.swarm.gossipPeers() === 1, 'gossip')
    newer.feed.append(3)
    await waitFor(() => older.feed.count() === 503, 'the gossip from the native node')

    const fromOlder = await older.blobs.put(blobSource(12 << 20))
    expect(await newer.swarm.fetchBlob(fromOlder)).toBe(newer.blobs.path(fromOlder))
    expect(await newer.blobs.size(fromOlder)).toBe(12 << 20)
    const fromNewer = await newer.blobs.put(blobSource(12 << 20))
    expect(await older.swarm.fetchBlob(fromNewer)).toBe(older.blobs.path(fromNewer))
    expect(await older.blobs.size(fromNewer)).toBe(12 << 20)
  })

  it('still keeps out a node with another swarm key, whichever protector either side runs', async () => {
    for (const [dialler, listener] of [
      ['native', '@libp2p/pnet'],
      ['@libp2p/pnet', 'native'],
    ] as const) {
      const member = await nodeOf(newSwarmSecret(), listener)
      const stranger = await nodeOf(newSwarmSecret(), dialler)
      await expect(stranger.swarm.connect(member.address)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
      expect(member.swarm.peers()).toEqual([])
      expect(stranger.swarm.peers()).toEqual([])
    }
  })
})
