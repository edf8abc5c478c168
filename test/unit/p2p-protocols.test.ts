import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import * as cbor from '@ipld/dag-cbor'
import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { fetchBlobOver, serveBlob } from '../../src/p2p/blob-protocol.ts'
import { SYNC_CREDIT_BATCHES } from '../../src/p2p/constants.ts'
import { FramedStream } from '../../src/p2p/framed.ts'
import { BlobStore } from '../../src/p2p/index.ts'
import { runSync } from '../../src/p2p/sync.ts'
import { tempDir } from '../helpers/farm.ts'
import { MemoryFeed } from '../helpers/p2p-memory-feed.ts'

describe('/farm/sync/1', () => {
  it('brings two feeds to the same clock in both directions, in bounded batches', async () => {
    const a = new MemoryFeed('A')
    const b = new MemoryFeed('B')
    a.seed('A', 500, 64)
    a.seed('C', 20)
    b.seed('B', 300)
    b.seed('C', 35)
    const [left, right] = await streamPair()
    const batches: number[] = []
    const [fromA, fromB] = await Promise.all([
      runSync(left, a, { peer: 'B', batchEntries: 50 }),
      runSync(right, b, { peer: 'A', batchEntries: 50, onIngested: (r) => batches.push(r.accepted) }),
    ])
    expect(await a.clock()).toEqual({ A: 500, B: 300, C: 35 })
    expect(await b.clock()).toEqual(await a.clock())
    expect(fromA).toMatchObject({ sent: 500, received: 315, accepted: 315 })
    expect(fromB).toMatchObject({ sent: 315, received: 500, accepted: 500 })
    expect(Math.max(...batches)).toBe(50)
  })

  it('lets a slow receiver set the pace: the sender never runs more than its credit ahead', async () => {
    const sender = new MemoryFeed('S')
    sender.seed('S', 400)
    const receiver = new MemoryFeed('R')
    let pulled = 0
    let ingested = 0
    let maxAhead = 0
    const missing = sender.missing.bind(sender)
    sender.missing = async function* (theirs, opts) {
      for await (const batch of missing(theirs, opts)) {
        pulled++
        maxAhead = Math.max(maxAhead, pulled - ingested)
        yield batch
      }
    }
    const ingest = receiver.ingest.bind(receiver)
    receiver.ingest = async (entries) => {
      await new Promise((r) => setTimeout(r, 5))
      ingested++
      return ingest(entries)
    }
    const [left, right] = await streamPair()
    await Promise.all([
      runSync(left, sender, { peer: 'R', batchEntries: 10 }),
      runSync(right, receiver, { peer: 'S', batchEntries: 10 }),
    ])
    expect(receiver.count()).toBe(400)
    expect(pulled).toBe(40)
    expect(maxAhead).toBeLessThanOrEqual(SYNC_CREDIT_BATCHES + 1)
  })

  it('ends well on both sides when the other side is done before this side wrote its own `done`', async () => {
    const slow = new MemoryFeed('S')
    const quick = new MemoryFeed('Q')
    quick.seed('Q', 3)
    const missing = slow.missing.bind(slow)
    slow.missing = async function* (theirs, opts) {
      // Quick's entries and its `done` arrive while this side is still looking for what to send.
      await new Promise((r) => setTimeout(r, 50))
      yield* missing(theirs, opts)
    }
    const [left, right] = await streamPair()
    const [fromSlow, fromQuick] = await Promise.all([
      runSync(left, slow, { peer: 'Q' }),
      runSync(right, quick, { peer: 'S' }),
    ])
    expect(fromSlow).toMatchObject({ received: 3, accepted: 3 })
    expect(fromQuick).toMatchObject({ sent: 3 })
  })

  it('ends with PEER_MISBEHAVED when the other side sends a forged entry, and never applies it', async () => {
    const honest = new MemoryFeed('H')
    const forger = new MemoryFeed('F')
    forger.feeds.set('F', [MemoryFeed.entry('F', 1, false)])
    const [left, right] = await streamPair()
    const results = await Promise.allSettled([
      runSync(left, honest, { peer: 'F' }),
      runSync(right, forger, { peer: 'H' }),
    ])
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'PEER_MISBEHAVED' } })
    expect((results[0] as PromiseRejectedResult).reason.message).toMatch(
      /peer F sent invalid ledger entries \(BAD_SIGNATURE/,
    )
    expect(await honest.clock()).toEqual({})
  })

  it('refuses a message over the size limit before reading it', async () => {
    const [left, right] = await streamPair()
    const header = new Uint8Array(4)
    new DataView(header.buffer).setUint32(0, 64 << 20)
    right.send(header)
    await expect(runSync(left, new MemoryFeed('A'), { peer: 'big' })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
    })
  })

  it('times out a peer that never answers', async () => {
    const [left] = await streamPair()
    await expect(runSync(left, new MemoryFeed('A'), { peer: 'silent', readTimeoutMs: 200 })).rejects.toThrow(
      /abort|timeout/i,
    )
  })
})

describe('/farm/blob/1', () => {
  async function stores() {
    const dir = await tempDir()
    return { holder: new BlobStore(join(dir, 'holder')), asker: new BlobStore(join(dir, 'asker')), dir }
  }

  it('copies a blob by hash and verifies it', async () => {
    const { holder, asker, dir } = await stores()
    const file = join(dir, 'scene.tar')
    const content = randomBytes(3 << 20)
    await writeFile(file, content)
    const hash = await holder.put(file)
    expect(hash).toBe(createHash('sha256').update(content).digest('hex'))
    const [left, right] = await streamPair()
    const [path] = await Promise.all([
      fetchBlobOver(left, asker, hash, { peer: 'holder' }),
      serveBlob(right, holder, { peer: 'asker' }),
    ])
    expect(path).toBe(asker.path(hash))
    expect((await readFile(path)).equals(content)).toBe(true)
  })

  it('refuses tampered content and leaves nothing in the store', async () => {
    const { holder, asker } = await stores()
    const hash = await holder.put(Readable.from([randomBytes(100_000)]))
    await writeFile(holder.path(hash), randomBytes(100_000))
    const [left, right] = await streamPair()
    const [fetched] = await Promise.allSettled([
      fetchBlobOver(left, asker, hash, { peer: 'holder' }),
      serveBlob(right, holder, { peer: 'asker' }),
    ])
    expect(fetched).toMatchObject({ status: 'rejected', reason: { code: 'BLOB_MISMATCH' } })
    expect(await asker.has(hash)).toBe(false)
    expect(existsSync(asker.partialPath(hash))).toBe(false)
  })

  it('resumes a broken transfer from where it stopped', async () => {
    const { holder, asker } = await stores()
    // Several 1 MB messages, so the cut comes with most of them still to send.
    const content = randomBytes(6 << 20)
    const hash = await holder.put(Readable.from([content]))
    const [left, right] = await streamPair()
    let cut = false
    const first = Promise.allSettled([
      fetchBlobOver(left, asker, hash, {
        peer: 'holder',
        onProgress: ({ received }) => {
          if (received > 600_000 && !cut) {
            cut = true
            right.abort(new Error('connection lost'))
          }
        },
      }),
      serveBlob(right, holder, { peer: 'asker' }),
    ])
    expect((await first)[0].status).toBe('rejected')
    expect(await asker.has(hash)).toBe(false)
    const kept = (await stat(asker.partialPath(hash))).size
    expect(kept).toBeGreaterThan(600_000)
    const [l2, r2] = await streamPair()
    let firstReceived = 0
    await Promise.all([
      fetchBlobOver(l2, asker, hash, { peer: 'holder', onProgress: (p) => (firstReceived ||= p.received) }),
      serveBlob(r2, holder, { peer: 'asker' }),
    ])
    expect(firstReceived).toBeGreaterThan(kept)
    expect((await readFile(asker.path(hash))).equals(content)).toBe(true)
    expect(await readdir(join(asker.dir, 'tmp'))).toEqual([])
  })

  it('sends an asker the 1 MB messages it asks for, and an older asker that names no size 256 kB ones', async () => {
    const { holder, asker } = await stores()
    const content = randomBytes(3 << 20)
    const hash = await holder.put(Readable.from([content]))
    const [left, right] = await streamPair()
    const sizes: number[] = []
    let before = 0
    await Promise.all([
      fetchBlobOver(left, asker, hash, {
        peer: 'holder',
        onProgress: ({ received }) => {
          sizes.push(received - before)
          before = received
        },
      }),
      serveBlob(right, holder, { peer: 'asker' }),
    ])
    expect(sizes).toEqual([1 << 20, 1 << 20, 1 << 20])

    // An older farm's asker: its request has no `chunk`, and it refuses a message over 257 kB.
    const [oldLeft, oldRight] = await streamPair()
    const older = new FramedStream(oldLeft, {
      peer: 'holder',
      maxMessageBytes: (256 << 10) + 1024,
      maxBufferedBytes: 16 << 20,
    })
    const serving = serveBlob(oldRight, holder, { peer: 'older asker' })
    await older.write(cbor.encode({ hash, offset: 0 }))
    expect(cbor.decode(await older.read())).toEqual({ size: 3 << 20 })
    const oldSizes: number[] = []
    for (let chunk = await older.read(); chunk.byteLength > 0; chunk = await older.read())
      oldSizes.push(chunk.byteLength)
    await serving
    expect(oldSizes).toEqual(Array(12).fill(256 << 10))
  })

  it('refuses a path or a name in place of a hash', async () => {
    const { asker } = await stores()
    expect(() => asker.path('../../etc/passwd')).toThrow(/not a blob hash/)
    const [left] = await streamPair()
    await expect(fetchBlobOver(left, asker, 'scene.pov', { peer: 'x' })).rejects.toMatchObject({
      code: 'BAD_HASH',
      exitCode: 2,
    })
  })
})
