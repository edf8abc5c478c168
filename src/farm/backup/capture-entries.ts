import { type CaptureBody, decodeEntries, type Entry, type Ledger } from '../../ledger/index.ts'

/** A `capture` entry: a frame some node saved and offers to the swarm as a blob. */
export interface CaptureAnnouncement {
  author: string
  /** The entry's timestamp (ms): the author's clock when it announced the frame. */
  ts: number
  day: string
  /** HHmmss, the frame's file name without `.jpg`. */
  time: string
  hash: string
  bytes?: number
  source?: string
}

export function announcementOf(entry: Entry): CaptureAnnouncement | undefined {
  if (entry.type !== 'capture') return undefined
  const body = entry.body as CaptureBody
  return {
    author: entry.author,
    ts: entry.ts,
    day: body.day,
    time: body.time,
    hash: body.file,
    bytes: body.bytes,
    source: body.source,
  }
}

/**
 * Every `capture` entry held, read from the feeds themselves: the folded state keeps only a
 * count per day. `whose` picks this node's own feed or every other one.
 */
export async function* capturesInLedger(
  ledger: Ledger,
  whose: 'mine' | 'others',
): AsyncIterable<CaptureAnnouncement> {
  const clock = await ledger.clock()
  const self = ledger.author
  const skip = whose === 'mine' ? { ...clock, [self]: 0 } : { [self]: clock[self] ?? 0 }
  for await (const batch of ledger.missing(skip)) {
    for (const decoded of await decodeEntries(batch)) {
      if (decoded instanceof Error) continue
      const announcement = announcementOf(decoded.entry)
      if (announcement !== undefined) yield announcement
    }
  }
}
