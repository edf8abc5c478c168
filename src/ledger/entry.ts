import * as dagCbor from '@ipld/dag-cbor'
import type { PrivateKey, PublicKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { BodyOf, EntryBody, EntryType } from './bodies.ts'
import { bodyProblem, isEntryType } from './bodies.ts'
import { sha256, signable, toHex } from './caps.ts'
import { LedgerError } from './errors.ts'

export const ENTRY_VERSION = 1
/** Bounds what one peer can make every other peer store and verify per entry. */
export const MAX_ENTRY_BYTES = 16 * 1024

/** The signed fields of an entry, exactly as encoded. */
export interface EntryFields<T extends EntryType = EntryType> {
  v: number
  author: string
  seq: number
  /** sha256 of the author's previous encoded entry; null at seq 1. */
  prev: Uint8Array | null
  lamport: number
  /** Author's wall clock, ms since the epoch; never lower than its previous entry's. */
  ts: number
  type: T
  body: BodyOf[T]
}

/** A decoded, verified entry. `hash` (hex sha256 of its encoded bytes) is its id: a job's id is its entry's hash. */
export type Entry<T extends EntryType = EntryType> = EntryFields<T> & { hash: string }

export interface DecodedEntry {
  entry: Entry
  encoded: Uint8Array
  entryBytes: Uint8Array
  signature: Uint8Array
}

/** Wire and store format: dag-cbor `{ entry: <dag-cbor of the fields>, sig }`, so the signed bytes are never re-encoded. */
export async function encodeEntry(fields: EntryFields, privateKey: PrivateKey): Promise<DecodedEntry> {
  const entryBytes = dagCbor.encode(fields)
  const signature = await privateKey.sign(signable(entryBytes))
  const encoded = dagCbor.encode({ entry: entryBytes, sig: signature })
  if (encoded.length > MAX_ENTRY_BYTES) throw LedgerError.OVERSIZE(encoded.length, MAX_ENTRY_BYTES)
  return { entry: { ...fields, hash: toHex(sha256(encoded)) }, encoded, entryBytes, signature }
}

/**
 * Decodes and checks everything that does not depend on the store: size, shape, version, type,
 * body schema and signature. Throws a LedgerError naming the reason.
 */
export function decodeEntry(encoded: Uint8Array): DecodedEntry {
  if (!(encoded instanceof Uint8Array)) throw LedgerError.BAD_ENCODING('not bytes')
  if (encoded.length > MAX_ENTRY_BYTES) throw LedgerError.OVERSIZE(encoded.length, MAX_ENTRY_BYTES)
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
  const keys = Object.keys(f).sort().join(',')
  if (keys !== 'author,body,lamport,prev,seq,ts,type,v')
    throw LedgerError.BAD_ENCODING(`unexpected fields ${keys}`)
  if (!isEntryType(f.type)) throw LedgerError.UNKNOWN_TYPE(f.type, at)
  if (!isCount(f.seq) || f.seq < 1) throw LedgerError.BAD_ENCODING('seq is not a positive integer')
  if (!isCount(f.lamport) || f.lamport < 1)
    throw LedgerError.BAD_ENCODING('lamport is not a positive integer')
  if (!isCount(f.ts)) throw LedgerError.BAD_ENCODING('ts is not a non-negative integer')
  if (f.seq === 1 ? f.prev !== null : !(f.prev instanceof Uint8Array && f.prev.length === 32)) {
    throw LedgerError.BAD_PREV(at)
  }
  const problem = bodyProblem(f.type, f.body)
  if (problem) throw LedgerError.BAD_SCHEMA(f.type, problem, at)
  const key = authorKey(f.author)
  if (!key.verify(signable(entryBytes), signature)) throw LedgerError.BAD_SIGNATURE(at)
  const entry = { ...(fields as unknown as EntryFields), hash: toHex(sha256(encoded)) }
  return { entry, encoded, entryBytes, signature }
}

const keyCache = new Map<string, PublicKey>()

/** An author's public key, derived from the peer id alone: no key exchange is needed to verify a feed. */
function authorKey(author: unknown): PublicKey & { verify(data: Uint8Array, sig: Uint8Array): boolean } {
  if (typeof author !== 'string') throw LedgerError.BAD_AUTHOR(author)
  let key = keyCache.get(author)
  if (!key) {
    try {
      key = peerIdFromString(author).publicKey
    } catch {
      throw LedgerError.BAD_AUTHOR(author)
    }
    if (key?.type !== 'Ed25519') throw LedgerError.BAD_AUTHOR(author)
    if (keyCache.size > 10_000) keyCache.clear()
    keyCache.set(author, key)
  }
  return key as PublicKey & { verify(data: Uint8Array, sig: Uint8Array): boolean }
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
