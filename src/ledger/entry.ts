import type { KeyObject } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { BodyOf, EntryBody, EntryType, ForkBody } from './bodies.ts'
import { bodyProblem, isEntryType } from './bodies.ts'
import {
  publicKeyObject,
  sha256,
  signEntryBytes,
  toHex,
  verifyEntryBytes,
  verifyEntryBytesSync,
} from './caps.ts'
import { LedgerError } from './errors.ts'

export const ENTRY_VERSION = 1
/** Bounds what one peer can make every other peer store and verify per entry. */
export const MAX_ENTRY_BYTES = 16 * 1024
/** A fork proof carries two entries of at most MAX_ENTRY_BYTES each. */
export const MAX_FORK_ENTRY_BYTES = 2 * MAX_ENTRY_BYTES + 1024

/** The signed fields of an entry, exactly as encoded. */
export interface EntryFields<T extends EntryType = EntryType> {
  v: number
  author: string
  seq: number
  /** sha256 of the signed field bytes of the author's previous entry; null at seq 1. */
  prev: Uint8Array | null
  lamport: number
  /**
   * Author's wall clock, ms since the epoch; never lower than its previous entry's, never below
   * `lamport`, and applied by a receiver only once within MAX_CLOCK_SKEW_MS of its own clock.
   */
  ts: number
  type: T
  body: BodyOf[T]
}

/** A decoded, verified entry. `hash` (hex sha256 of its signed field bytes) is its id: a job's id is its entry's hash. */
export type Entry<T extends EntryType = EntryType> = EntryFields<T> & { hash: string }

export interface DecodedEntry {
  entry: Entry
  encoded: Uint8Array
  entryBytes: Uint8Array
  signature: Uint8Array
  /**
   * Set when decodeEntries skipped the signature (a seq the receiver already holds: most likely a
   * duplicate); verifies it now. Only a copy that turns out not to be a duplicate needs it.
   */
  unverified?: () => boolean
}

/**
 * Wire and store format: dag-cbor `{ entry: <dag-cbor of the fields>, sig }`, so the signed bytes
 * are never re-encoded. An entry's hash (its id, and the next entry's `prev`) is the sha256 of the
 * signed field bytes: it is known before signing, so a batch signs in parallel.
 */
export interface SigningEntry {
  fields: EntryFields
  entryBytes: Uint8Array
  hash: Uint8Array
  signature: Promise<Uint8Array>
}

/** Encodes an entry and starts signing it on the thread pool, so the caller can encode the next meanwhile. */
export function startEntry(fields: EntryFields, privateKey: PrivateKey): SigningEntry {
  const entryBytes = dagCbor.encode(fields)
  return { fields, entryBytes, hash: sha256(entryBytes), signature: signEntryBytes(privateKey, entryBytes) }
}

export async function finishEntries(started: SigningEntry[]): Promise<DecodedEntry[]> {
  const signatures = await Promise.all(started.map((s) => s.signature))
  return started.map(({ fields, entryBytes, hash }, i) => {
    const signature = signatures[i]!
    const encoded = dagCbor.encode({ entry: entryBytes, sig: signature })
    const max = maxBytesOf(fields.type)
    if (encoded.length > max) {
      throw LedgerError.OVERSIZE(encoded.length, max, { author: fields.author, seq: fields.seq })
    }
    return { entry: { ...fields, hash: toHex(hash) }, encoded, entryBytes, signature }
  })
}

export function encodeEntries(fieldsList: EntryFields[], privateKey: PrivateKey): Promise<DecodedEntry[]> {
  return finishEntries(fieldsList.map((fields) => startEntry(fields, privateKey)))
}

export async function encodeEntry(fields: EntryFields, privateKey: PrivateKey): Promise<DecodedEntry> {
  const [decoded] = await encodeEntries([fields], privateKey)
  return decoded!
}

/** Whether stored bytes hold the same signed entry as `d` (a duplicate, not a fork). */
export function sameEntry(stored: Uint8Array, d: DecodedEntry): boolean {
  if (Buffer.compare(stored, d.encoded) === 0) return true
  try {
    const { entry } = dagCbor.decode(stored) as { entry: Uint8Array }
    return Buffer.compare(entry, d.entryBytes) === 0
  } catch {
    return false
  }
}

/** Decodes and fully checks one entry, signature included. Throws a LedgerError naming the reason. */
export function decodeEntry(encoded: Uint8Array): DecodedEntry {
  const { decoded, key } = parseEntry(encoded)
  if (!verifyEntryBytesSync(key, decoded.entryBytes, decoded.signature)) {
    throw LedgerError.BAD_SIGNATURE({ author: decoded.entry.author, seq: decoded.entry.seq })
  }
  return decoded
}

/**
 * Decodes an entry read back from this node's own store. Its signature and chain were checked
 * when it was stored, so only the decoding is done again.
 */
export function readStoredEntry(encoded: Uint8Array): Entry {
  return parseEntry(encoded).decoded.entry
}

/**
 * Decodes and checks many entries; each signature starts verifying on the thread pool as soon as
 * its entry is parsed, while the next is parsed. A bad entry yields its error in its place.
 */
export async function decodeEntries(
  list: Uint8Array[],
  /** Entries this says are held already skip their signature check (DecodedEntry.unverified). */
  held?: (author: string, seq: number) => boolean,
): Promise<(DecodedEntry | LedgerError)[]> {
  const verifying: Promise<boolean>[] = []
  const parsed = list.map((encoded) => {
    try {
      const { decoded, key } = parseEntry(encoded)
      if (held?.(decoded.entry.author, decoded.entry.seq)) {
        decoded.unverified = () => verifyEntryBytesSync(key, decoded.entryBytes, decoded.signature)
        verifying.push(Promise.resolve(true))
      } else verifying.push(verifyEntryBytes(key, decoded.entryBytes, decoded.signature))
      return decoded
    } catch (err) {
      verifying.push(Promise.resolve(false))
      return err instanceof LedgerError ? err : LedgerError.BAD_ENCODING(String(err))
    }
  })
  const verdicts = await Promise.all(verifying)
  return parsed.map((p, i) => {
    if (p instanceof LedgerError || verdicts[i]) return p
    return LedgerError.BAD_SIGNATURE({ author: p.entry.author, seq: p.entry.seq })
  })
}

/** Everything that does not depend on the store, except the signature: size, shape, version, type, body schema. */
function parseEntry(encoded: Uint8Array): { decoded: DecodedEntry; key: KeyObject } {
  if (!(encoded instanceof Uint8Array)) throw LedgerError.BAD_ENCODING('not bytes')
  if (encoded.length > MAX_FORK_ENTRY_BYTES) throw LedgerError.OVERSIZE(encoded.length, MAX_ENTRY_BYTES)
  let outer: unknown
  let fields: unknown
  try {
    outer = dagCbor.decode(encoded)
    const o = outer as { entry?: unknown; sig?: unknown }
    if (!isPlain(outer) || !(o.entry instanceof Uint8Array) || !(o.sig instanceof Uint8Array)) {
      throw new Error('expected { entry, sig } byte fields')
    }
    fields = dagCbor.decode(o.entry)
  } catch (err) {
    if (encoded.length > MAX_ENTRY_BYTES) throw LedgerError.OVERSIZE(encoded.length, MAX_ENTRY_BYTES)
    throw LedgerError.BAD_ENCODING(err instanceof Error ? err.message : String(err))
  }
  const { entry: entryBytes, sig: signature } = outer as { entry: Uint8Array; sig: Uint8Array }
  const f = fields as Record<string, unknown>
  if (!isPlain(fields)) throw LedgerError.BAD_ENCODING('entry fields are not a map')
  const at = {
    author: typeof f.author === 'string' ? f.author : undefined,
    seq: typeof f.seq === 'number' ? f.seq : undefined,
  }
  if (f.v !== ENTRY_VERSION) throw LedgerError.UNKNOWN_VERSION(f.v, at)
  let count = 0
  for (const k in f) {
    if (!ENTRY_FIELDS.has(k)) throw LedgerError.BAD_ENCODING(`unexpected field ${JSON.stringify(k)}`)
    count += 1
  }
  if (count !== ENTRY_FIELDS.size) throw LedgerError.BAD_ENCODING('missing fields')
  if (!isEntryType(f.type)) throw LedgerError.UNKNOWN_TYPE(f.type, at)
  if (encoded.length > maxBytesOf(f.type)) throw LedgerError.OVERSIZE(encoded.length, maxBytesOf(f.type), at)
  if (!isCount(f.seq) || f.seq < 1) throw LedgerError.BAD_ENCODING('seq is not a positive integer')
  if (!isCount(f.lamport) || f.lamport < 1)
    throw LedgerError.BAD_ENCODING('lamport is not a positive integer')
  if (!isCount(f.ts)) throw LedgerError.BAD_ENCODING('ts is not a non-negative integer')
  // Lamport tied to ts (clock.ts MAX_CLOCK_SKEW_MS): one entry cannot make every node's clock run away.
  if (f.lamport > f.ts) throw LedgerError.BAD_CLOCK(f.lamport, f.ts, at)
  if (f.seq === 1 ? f.prev !== null : !(f.prev instanceof Uint8Array && f.prev.length === 32)) {
    throw LedgerError.BAD_PREV(at)
  }
  const problem =
    bodyProblem(f.type, f.body) ?? (f.type === 'fork' ? forkProblem(f.body as ForkBody) : undefined)
  if (problem) throw LedgerError.BAD_SCHEMA(f.type, problem, at)
  const key = authorKey(f.author)
  f.hash = toHex(sha256(entryBytes))
  return { decoded: { entry: f as unknown as Entry, encoded, entryBytes, signature }, key }
}

function maxBytesOf(type: EntryType): number {
  return type === 'fork' ? MAX_FORK_ENTRY_BYTES : MAX_ENTRY_BYTES
}

/**
 * Why a fork body proves nothing, if it does not: both entries must be signed by its author, `a`
 * at its seq, and `b` either another entry at that seq or the next seq not chaining to `a`.
 */
function forkProblem(body: ForkBody): string | undefined {
  let a: DecodedEntry
  let b: DecodedEntry
  try {
    a = decodeEntry(body.a)
    b = decodeEntry(body.b)
  } catch (err) {
    return `a proof entry is not a valid signed entry: ${err instanceof Error ? err.message : String(err)}`
  }
  if (a.entry.author !== body.author || b.entry.author !== body.author)
    return 'the proof entries are not both by its author'
  if (a.entry.seq !== body.seq) return 'entry a is not at its seq'
  if (b.entry.seq === a.entry.seq) {
    return Buffer.compare(a.entryBytes, b.entryBytes) === 0 ? 'the two entries are the same' : undefined
  }
  if (b.entry.seq === a.entry.seq + 1) {
    const prev = b.entry.prev
    return prev && Buffer.compare(prev, sha256(a.entryBytes)) !== 0 ? undefined : 'entry b chains to entry a'
  }
  return 'entry b is neither at the seq of a nor the next'
}

const ENTRY_FIELDS = new Set(['v', 'author', 'seq', 'prev', 'lamport', 'ts', 'type', 'body'])
const keyCache = new Map<string, KeyObject>()

/** An author's public key, derived from the peer id alone: no key exchange is needed to verify a feed. */
function authorKey(author: unknown): KeyObject {
  if (typeof author !== 'string') throw LedgerError.BAD_AUTHOR(author)
  let key = keyCache.get(author)
  if (!key) {
    let raw: Uint8Array | undefined
    try {
      const publicKey = peerIdFromString(author).publicKey
      if (publicKey?.type === 'Ed25519') raw = publicKey.raw
    } catch {}
    if (!raw) throw LedgerError.BAD_AUTHOR(author)
    key = publicKeyObject(raw)
    if (keyCache.size > 10_000) keyCache.clear()
    keyCache.set(author, key)
  }
  return key
}

/** A body as it will be signed: optional fields left undefined are dropped (CBOR has no undefined). */
export function canonicalBody(type: EntryType, body: EntryBody): EntryBody {
  const clean = dropUndefined(body) as EntryBody
  const problem = bodyProblem(type, clean)
  if (problem) throw LedgerError.BAD_SCHEMA(type, problem)
  return clean
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined)
  if (!isPlain(value)) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = dropUndefined(v)
  return out
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  )
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
