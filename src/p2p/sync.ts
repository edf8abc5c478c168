import * as cbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import { MAX_SYNC_MESSAGE_BYTES, SYNC_BATCH_BYTES, SYNC_BATCH_ENTRIES } from './constants.ts'
import { P2PError } from './errors.ts'
import type { Clock, IngestResult, ReplicatedFeed } from './feed.ts'
import { FramedStream } from './framed.ts'

/**
 * /farm/sync/1, symmetric: each side sends its clock, reads the other's, then at once streams
 * the entries the other lacks (bounded batches, then `done`) and ingests what arrives, one
 * batch at a time. A batch with refused entries ends the sync with PEER_MISBEHAVED.
 */
type SyncMessage = { t: 'clock'; clock: Clock } | { t: 'entries'; entries: Uint8Array[] } | { t: 'done' }

export interface SyncOutcome {
  /** Both clocks as exchanged at the start: equal means the two feeds were already in sync. */
  ours: Clock
  theirs: Clock
  sent: number
  received: number
  accepted: number
}

export interface SyncOptions {
  peer: string
  readTimeoutMs?: number
  batchBytes?: number
  batchEntries?: number
  /** Called with each batch's ingest result, e.g. to announce received entries. */
  onIngested?: (result: IngestResult) => void
}

export async function runSync(stream: Stream, feed: ReplicatedFeed, opts: SyncOptions): Promise<SyncOutcome> {
  const framed = new FramedStream(stream, {
    maxMessageBytes: MAX_SYNC_MESSAGE_BYTES,
    readTimeoutMs: opts.readTimeoutMs,
  })
  const ours = await feed.clock()
  const outcome: SyncOutcome = { ours, theirs: {}, sent: 0, received: 0, accepted: 0 }
  try {
    await framed.write(cbor.encode({ t: 'clock', clock: ours }))
    const first = decode(await framed.read(), opts.peer)
    if (first.t !== 'clock') throw P2PError.protocol(opts.peer, `expected its clock, got '${first.t}'`)
    outcome.theirs = first.clock
    await Promise.all([send(framed, feed, first.clock, opts, outcome), receive(framed, feed, opts, outcome)])
    await framed.close()
    return outcome
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

async function send(
  framed: FramedStream,
  feed: ReplicatedFeed,
  theirs: Clock,
  opts: SyncOptions,
  outcome: SyncOutcome,
) {
  const batches = feed.missing(theirs, {
    maxBatchBytes: opts.batchBytes ?? SYNC_BATCH_BYTES,
    maxBatchEntries: opts.batchEntries ?? SYNC_BATCH_ENTRIES,
  })
  for await (const entries of batches) {
    await framed.write(cbor.encode({ t: 'entries', entries }))
    outcome.sent += entries.length
  }
  await framed.write(cbor.encode({ t: 'done' }))
}

async function receive(framed: FramedStream, feed: ReplicatedFeed, opts: SyncOptions, outcome: SyncOutcome) {
  for (;;) {
    const message = decode(await framed.read(), opts.peer)
    if (message.t === 'done') return
    if (message.t !== 'entries') throw P2PError.protocol(opts.peer, `unexpected '${message.t}' during sync`)
    outcome.received += message.entries.length
    const result = await feed.ingest(message.entries)
    outcome.accepted += result.accepted
    opts.onIngested?.(result)
    if (result.refused.length > 0) {
      throw P2PError.misbehaved(opts.peer, result.refused.map((r) => `${r.code}: ${r.message}`).join('; '))
    }
  }
}

function decode(bytes: Uint8Array, peer: string): SyncMessage {
  let value: unknown
  try {
    value = cbor.decode(bytes)
  } catch {
    throw P2PError.protocol(peer, 'a sync message is not valid CBOR')
  }
  const m = value as { t?: unknown; clock?: unknown; entries?: unknown }
  if (m?.t === 'done') return { t: 'done' }
  if (m?.t === 'clock' && isClock(m.clock)) return { t: 'clock', clock: m.clock }
  if (m?.t === 'entries' && Array.isArray(m.entries) && m.entries.every((e) => e instanceof Uint8Array)) {
    return { t: 'entries', entries: m.entries }
  }
  throw P2PError.protocol(peer, 'a sync message has an unknown shape')
}

function isClock(value: unknown): value is Clock {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  return Object.values(value).every((seq) => Number.isSafeInteger(seq) && (seq as number) >= 0)
}
