import { join } from 'node:path'
import * as cbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  BlobStore,
  type Clock,
  createSwarm,
  type IngestResult,
  type ReplicatedFeed,
  type Swarm,
  type SwarmInit,
} from '../../src/p2p/index.ts'

/**
 * A tiny in-memory stand-in for the ledger, as js-libp2p tests stub injected components:
 * entries are CBOR `{author, seq, valid}`; `valid: false` plays a forged signature.
 */
export class MemoryFeed implements ReplicatedFeed {
  readonly author: string
  readonly feeds = new Map<string, Uint8Array[]>()
  private readonly listeners = new Set<
    (entries: unknown[], encoded: Uint8Array[], origin: 'local' | 'remote') => void
  >()

  constructor(author: string) {
    this.author = author
  }

  /** `ts`: when its author wrote it (default now), as the ledger's entries say. */
  static entry(author: string, seq: number, valid = true, padding = 0, ts = Date.now()): Uint8Array {
    return cbor.encode({ author, seq, valid, ts, pad: new Uint8Array(padding) })
  }

  append(count = 1, padding = 0): Uint8Array[] {
    const feed = this.feeds.get(this.author) ?? []
    this.feeds.set(this.author, feed)
    const added: Uint8Array[] = []
    for (let i = 0; i < count; i++)
      added.push(MemoryFeed.entry(this.author, feed.length + added.length + 1, true, padding))
    feed.push(...added)
    this.notify(added, 'local')
    return added
  }

  /** Adds entries of any author as if already held (used to fake a long history fast): one a second, long ago. */
  seed(author: string, count: number, padding = 0): void {
    const feed = this.feeds.get(author) ?? []
    this.feeds.set(author, feed)
    const start = feed.length
    for (let i = 1; i <= count; i++)
      feed.push(MemoryFeed.entry(author, start + i, true, padding, (start + i) * 1000))
  }

  count(): number {
    let n = 0
    for (const feed of this.feeds.values()) n += feed.length
    return n
  }

  async clock(): Promise<Clock> {
    const clock: Clock = {}
    for (const [author, feed] of this.feeds) clock[author] = feed.length
    return clock
  }

  async *missing(theirs: Clock, opts: { maxBatchBytes?: number; maxBatchEntries?: number } = {}) {
    const maxBytes = opts.maxBatchBytes ?? 1 << 20
    const maxEntries = opts.maxBatchEntries ?? 1000
    for (const [author, feed] of this.feeds) {
      let batch: Uint8Array[] = []
      let bytes = 0
      for (const entry of feed.slice(theirs[author] ?? 0)) {
        if (batch.length > 0 && (batch.length >= maxEntries || bytes + entry.length > maxBytes)) {
          yield batch
          batch = []
          bytes = 0
        }
        batch.push(entry)
        bytes += entry.length
      }
      if (batch.length > 0) yield batch
    }
  }

  async ingest(encoded: Uint8Array[]): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, duplicates: 0, held: [], refused: [], acceptedBy: {} }
    const applied: Uint8Array[] = []
    for (const bytes of encoded) {
      const { author, seq, valid, ts } = cbor.decode(bytes) as {
        author: string
        seq: number
        valid: boolean
        ts: number
      }
      if (!valid) {
        result.refused.push({
          code: 'BAD_SIGNATURE',
          message: `entry ${author}#${seq} has a bad signature`,
          author,
          seq,
        })
        continue
      }
      const feed = this.feeds.get(author) ?? []
      this.feeds.set(author, feed)
      if (seq <= feed.length) result.duplicates++
      else if (seq === feed.length + 1) {
        feed.push(bytes)
        applied.push(bytes)
        result.accepted++
        const by = result.acceptedBy![author] ?? { entries: 0, ts }
        result.acceptedBy![author] = { entries: by.entries + 1, ts: Math.max(by.ts, ts) }
      } else if (!result.held.includes(author)) result.held.push(author)
    }
    if (applied.length > 0) this.notify(applied, 'remote')
    return result
  }

  onEntries(
    listener: (entries: unknown[], encoded: Uint8Array[], origin: 'local' | 'remote') => void,
  ): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private notify(encoded: Uint8Array[], origin: 'local' | 'remote'): void {
    const entries = encoded.map((e) => cbor.decode(e))
    for (const listener of this.listeners) listener(entries, encoded, origin)
  }
}

/**
 * A swarm on 127.0.0.1 carrying a MemoryFeed (or the feed `makeFeed` returns), its blobs under
 * `dir`. Periodic sync is off, so only gossip or an explicit sync moves entries.
 */
export async function memorySwarm<F extends ReplicatedFeed = MemoryFeed>(opts: {
  secret: Uint8Array
  dir: string
  bootstrap?: string[]
  makeFeed?: (author: string) => F
  /** To come back as the same peer (default: a new key). */
  privateKey?: PrivateKey
  /** Default: a free port on 127.0.0.1. */
  listen?: string[]
  /** Default: the farm's own (nativePreSharedKey); @libp2p/pnet's to play an older node. */
  connectionProtector?: SwarmInit['connectionProtector']
}): Promise<{ swarm: Swarm; feed: F; blobs: BlobStore }> {
  const privateKey = opts.privateKey ?? (await generateKeyPair('Ed25519'))
  const author = peerIdFromPrivateKey(privateKey).toString()
  const feed = opts.makeFeed?.(author) ?? (new MemoryFeed(author) as unknown as F)
  const blobs = new BlobStore(join(opts.dir, 'blobs'))
  const swarm = await createSwarm({
    privateKey,
    swarmKey: opts.secret,
    listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: opts.bootstrap ?? [],
    mdns: false,
    feed,
    blobs,
    syncIntervalMs: 600_000,
    connectionProtector: opts.connectionProtector,
  })
  return { swarm, feed, blobs }
}
