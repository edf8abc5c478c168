import * as cbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import {
  MAX_SYNC_MESSAGE_BYTES,
  READ_TIMEOUT_MS,
  SYNC_BATCH_BYTES,
  SYNC_BATCH_ENTRIES,
  SYNC_CREDIT_BATCHES,
} from './constants.ts'
import { P2PError } from './errors.ts'
import type { Clock, IngestResult, ReplicatedFeed } from './feed.ts'
import { FramedStream } from './framed.ts'
import { SYNC_SESSION_BATCHES, SYNC_SESSION_BYTES, SYNC_SESSION_MS } from './limits.ts'

/**
 * /farm/sync/1, symmetric: each side sends its clock (and the addresses of the members it is
 * connected to, so peers that joined through different members meet) and reads the other's, then at once sends
 * the entries the other lacks (bounded batches, then `done`) and ingests what arrives. Each
 * ingested batch is acknowledged, and a sender keeps at most SYNC_CREDIT_BATCHES unacknowledged:
 * the back-pressure that lets a slow disk set the pace. A batch with refused entries ends the
 * sync with PEER_MISBEHAVED. A session is bounded (limits.ts): a sender stops at the bound and
 * says `more`, so the next session carries on; a peer sending past the bound breaks the protocol.
 */
const MAX_MEMBERS = 64
/**
 * Batches handed to the feed at once: the ledger verifies the next batch's signatures while it
 * writes the previous one, and applies them in the order given.
 */
const INGEST_DEPTH = 2

type SyncMessage =
  | { t: 'clock'; clock: Clock; members: string[] }
  | { t: 'entries'; entries: Uint8Array[] }
  | { t: 'ack' }
  | { t: 'done'; more: boolean }

export interface SyncOutcome {
  /** Both clocks as exchanged at the start: equal means the two feeds were already in sync. */
  ours: Clock
  theirs: Clock
  /** Multiaddrs (with /p2p/<id>) of the members the other side is connected to. */
  theirMembers: string[]
  sent: number
  received: number
  accepted: number
  /** A side stopped at a session bound with entries still to send: sync again. */
  more: boolean
}

/** What one session may carry and last (limits.ts); tests make them small. */
export interface SessionBounds {
  batches: number
  bytes: number
  ms: number
}

const SESSION_BOUNDS: SessionBounds = {
  batches: SYNC_SESSION_BATCHES,
  bytes: SYNC_SESSION_BYTES,
  ms: SYNC_SESSION_MS,
}

export interface SyncOptions {
  peer: string
  /** Multiaddrs of the members this side is connected to, offered to the other side. */
  members?: string[]
  readTimeoutMs?: number
  batchBytes?: number
  batchEntries?: number
  /** Called with each batch's ingest result, e.g. to announce received entries. */
  onIngested?: (result: IngestResult) => void
  bounds?: Partial<SessionBounds>
}

export async function runSync(stream: Stream, feed: ReplicatedFeed, opts: SyncOptions): Promise<SyncOutcome> {
  const framed = new FramedStream(stream, {
    peer: opts.peer,
    maxMessageBytes: MAX_SYNC_MESSAGE_BYTES,
    maxBufferedBytes: (SYNC_CREDIT_BATCHES + 2) * MAX_SYNC_MESSAGE_BYTES,
    readTimeoutMs: opts.readTimeoutMs,
  })
  const ours = await feed.clock()
  const outcome: SyncOutcome = {
    ours,
    theirs: {},
    theirMembers: [],
    sent: 0,
    received: 0,
    accepted: 0,
    more: false,
  }
  const bounds = { ...SESSION_BOUNDS, ...opts.bounds }
  // The sender stops by itself at `ms`; a peer that does not finish soon after is cut off.
  const deadline = setTimeout(
    () => stream.abort(P2PError.PROTOCOL(opts.peer, `its sync session ran over ${bounds.ms / 1000} s`)),
    bounds.ms + (opts.readTimeoutMs ?? READ_TIMEOUT_MS),
  )
  try {
    await framed.write(
      cbor.encode({ t: 'clock', clock: ours, members: (opts.members ?? []).slice(0, MAX_MEMBERS) }),
    )
    const first = decode(await framed.read(), opts.peer)
    if (first.t !== 'clock') throw P2PError.PROTOCOL(opts.peer, `expected its clock, got '${first.t}'`)
    outcome.theirs = first.clock
    outcome.theirMembers = first.members
    await new Session(framed, feed, opts, outcome, bounds).run()
    await framed.close()
    return outcome
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  } finally {
    clearTimeout(deadline)
  }
}

/** One sync after the clocks: a sending loop limited by credit, and a reading loop that ingests and acks. */
class Session {
  private readonly framed: FramedStream
  private readonly feed: ReplicatedFeed
  private readonly opts: SyncOptions
  private readonly outcome: SyncOutcome
  private batchesSent = 0
  private acked = 0
  private sentDone = false
  private stopped = false
  /** Batches handed to the feed and not yet settled, oldest first. */
  private readonly ingesting: Promise<IngestResult>[] = []
  private theirDone = false
  private creditWaiter: (() => void) | undefined
  private readonly bounds: SessionBounds
  private readonly started = Date.now()
  private bytesReceived = 0
  private batchesReceived = 0

  constructor(
    framed: FramedStream,
    feed: ReplicatedFeed,
    opts: SyncOptions,
    outcome: SyncOutcome,
    bounds: SessionBounds,
  ) {
    this.framed = framed
    this.feed = feed
    this.opts = opts
    this.outcome = outcome
    this.bounds = bounds
  }

  async run(): Promise<void> {
    const sending = this.send()
    // A failed read ends the sender too, instead of leaving it waiting for credit.
    const reading = this.receive().finally(() => {
      this.stopped = true
      this.creditWaiter?.()
    })
    await Promise.all([sending, reading])
  }

  private async send(): Promise<void> {
    const batches = this.feed.missing(this.outcome.theirs, {
      maxBatchBytes: this.opts.batchBytes ?? SYNC_BATCH_BYTES,
      maxBatchEntries: this.opts.batchEntries ?? SYNC_BATCH_ENTRIES,
    })
    let bytes = 0
    let more = false
    for await (const entries of batches) {
      const size = entries.reduce((sum, e) => sum + e.byteLength, 0)
      if (
        this.batchesSent >= this.bounds.batches ||
        (this.batchesSent > 0 && bytes + size > this.bounds.bytes) ||
        Date.now() - this.started >= this.bounds.ms
      ) {
        more = true
        break
      }
      while (this.batchesSent - this.acked >= SYNC_CREDIT_BATCHES) {
        if (this.stopped) return
        await new Promise<void>((resolve) => (this.creditWaiter = resolve))
        this.creditWaiter = undefined
      }
      await this.framed.write(cbor.encode({ t: 'entries', entries }))
      this.batchesSent++
      bytes += size
      this.outcome.sent += entries.length
    }
    await this.framed.write(cbor.encode(more ? { t: 'done', more } : { t: 'done' }))
    this.outcome.more ||= more
    this.sentDone = true
  }

  private async receive(): Promise<void> {
    try {
      // Done when they finished sending and acknowledged all of ours (after our `done`).
      while (!this.finished()) {
        const bytes = await this.readUnlessFinished()
        if (bytes === undefined) return
        const message = decode(bytes, this.opts.peer)
        if (message.t === 'ack') {
          this.acked++
          if (this.acked > this.batchesSent) {
            throw P2PError.PROTOCOL(this.opts.peer, 'acknowledged a batch never sent')
          }
          this.creditWaiter?.()
        } else if (message.t === 'done') {
          while (this.ingesting.length > 0) await this.settleOldest()
          this.theirDone = true
          this.outcome.more ||= message.more
        } else if (message.t === 'entries') {
          this.batchesReceived++
          this.bytesReceived += message.entries.reduce((sum, e) => sum + e.byteLength, 0)
          const overBytes = this.batchesReceived > 1 && this.bytesReceived > this.bounds.bytes
          if (this.batchesReceived > this.bounds.batches || overBytes)
            throw P2PError.PROTOCOL(this.opts.peer, 'it sent more than one sync session carries')
          this.outcome.received += message.entries.length
          this.ingesting.push(this.feed.ingest(message.entries))
          if (this.ingesting.length >= INGEST_DEPTH) await this.settleOldest()
        } else {
          throw P2PError.PROTOCOL(this.opts.peer, `unexpected '${message.t}' during sync`)
        }
      }
    } finally {
      await Promise.allSettled(this.ingesting)
    }
  }

  private finished(): boolean {
    return this.theirDone && this.sentDone && this.acked === this.batchesSent
  }

  /**
   * The next message, or undefined when the stream ended after the exchange finished. Their
   * `done` can arrive before ours is written: this side is then reading when its own `done`
   * completes the exchange, and the other side, done too, closes the stream under that read.
   */
  private async readUnlessFinished(): Promise<Uint8Array | undefined> {
    try {
      return await this.framed.read()
    } catch (err) {
      if (this.finished() && (err as P2PError).code === 'STREAM_ENDED') return undefined
      throw err
    }
  }

  /** Waits for the oldest batch handed to the feed, then acknowledges it (or ends the sync if it was refused). */
  private async settleOldest(): Promise<void> {
    const result = await this.ingesting.shift()!
    this.outcome.accepted += result.accepted
    this.opts.onIngested?.(result)
    if (result.refused.length > 0) {
      throw P2PError.PEER_MISBEHAVED(
        this.opts.peer,
        result.refused.map((r) => `${r.code}: ${r.message}`).join('; '),
      )
    }
    await this.framed.write(cbor.encode({ t: 'ack' }))
  }
}

function decode(bytes: Uint8Array, peer: string): SyncMessage {
  let value: unknown
  try {
    value = cbor.decode(bytes)
  } catch {
    throw P2PError.PROTOCOL(peer, 'a sync message is not valid CBOR')
  }
  const m = value as { t?: unknown; clock?: unknown; entries?: unknown; members?: unknown }
  if (m?.t === 'ack') return { t: m.t }
  if (m?.t === 'done') return { t: m.t, more: (m as { more?: unknown }).more === true }
  if (m?.t === 'clock' && isClock(m.clock) && isMembers(m.members)) {
    return { t: 'clock', clock: m.clock, members: m.members ?? [] }
  }
  if (m?.t === 'entries' && Array.isArray(m.entries) && m.entries.every((e) => e instanceof Uint8Array)) {
    return { t: 'entries', entries: m.entries }
  }
  throw P2PError.PROTOCOL(peer, 'a sync message has an unknown shape')
}

function isMembers(value: unknown): value is string[] | undefined {
  if (value === undefined) return true
  return (
    Array.isArray(value) &&
    value.length <= MAX_MEMBERS &&
    value.every((a) => typeof a === 'string' && a.length <= 512 && a.includes('/p2p/'))
  )
}

function isClock(value: unknown): value is Clock {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  return Object.values(value).every((seq) => Number.isSafeInteger(seq) && (seq as number) >= 0)
}
