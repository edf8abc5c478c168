import * as dagCbor from '@ipld/dag-cbor'
import type { MoneyEvent } from './fold.ts'

/**
 * LevelDB layout. One author's entries are one contiguous key range, so sync is a range read and
 * the log is never loaded into memory.
 *
 *   e!<author>!<seq, 16 digits>  encoded entry, the exact bytes received or signed
 *   h!<author>                   head of that feed: { seq, hash, lamport, ts }
 *   x!<author>                   fork proof: two signed entries with the same author and seq
 *   m!<lamport>!<author>!<seq>   money index (grant, verified, job) in total order, to re-fold money
 *   s!misc, s!job!<id>,          the folded state, split so an append rewrites only what it touched
 *   s!frame!<id>!<frame>
 *   s!version                    STATE_VERSION of the fold that wrote the folded state
 *   s!orphan!<job>!<author>!<seq> (empty) an entry about a job whose entry is not folded yet
 */
export const SEQ_WIDTH = 16

export function entryKey(author: string, seq: number): string {
  return `e!${author}!${String(seq).padStart(SEQ_WIDTH, '0')}`
}

/** Bounds of one author's entries from `fromSeq` to `toSeq`. */
export function feedRange(author: string, fromSeq: number, toSeq: number) {
  return { gte: entryKey(author, fromSeq), lte: entryKey(author, toSeq) }
}

export const headKey = (author: string) => `h!${author}`
export const forkKey = (author: string) => `x!${author}`
export const moneyKey = (orderKey: string) => `m!${orderKey}`
export const jobKey = (id: string) => `s!job!${id}`
export const frameKey = (id: string, frame: string) => `s!frame!${id}!${frame}`
export const orphanKey = (job: string, author: string, seq: number) =>
  `s!orphan!${job}!${author}!${String(seq).padStart(SEQ_WIDTH, '0')}`
export const orphansOf = (job: string) => prefixRange(`s!orphan!${job}!`)
export const MISC_KEY = 's!misc'
export const VERSION_KEY = 's!version'

export const prefixRange = (prefix: string) => ({ gte: prefix, lt: `${prefix}~` })
export const ENTRIES = prefixRange('e!')
export const STATE = prefixRange('s!')
export const HEADS = prefixRange('h!')
export const FORKS = prefixRange('x!')
export const MONEY = prefixRange('m!')
export const JOBS = prefixRange('s!job!')
export const FRAMES = prefixRange('s!frame!')

export interface Head {
  seq: number
  hash: Uint8Array
  lamport: number
  ts: number
}

export const encode = (value: unknown): Uint8Array => dagCbor.encode(value)
export const decode = <T>(bytes: Uint8Array): T => dagCbor.decode(bytes) as T

export function encodeMoney(event: MoneyEvent): Uint8Array {
  return encode({ author: event.author, type: event.type, body: event.body })
}

export function decodeMoney(key: string, bytes: Uint8Array): MoneyEvent {
  return { key: key.slice(2), ...decode<Omit<MoneyEvent, 'key'>>(bytes) }
}
