import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import * as cbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import { assertBlobHash, type BlobStore } from './blob-store.ts'
import {
  BLOB_CHUNK_BYTES,
  BLOB_CHUNK_BYTES_LEGACY,
  BLOB_CREDIT_BYTES,
  MAX_BLOB_MESSAGE_BYTES,
} from './constants.ts'
import { P2PError } from './errors.ts'
import { FramedStream } from './framed.ts'
import { withHeapRoom } from './heap-room.ts'

/**
 * /farm/blob/1: the asker sends `{hash, offset, chunk}`; the holder answers `{size}` (or
 * `{error}`), then the bytes from `offset` as raw frames of `chunk` bytes (kept within
 * BLOB_CHUNK_BYTES_LEGACY..BLOB_CHUNK_BYTES, the legacy size when an older asker names none) and
 * an empty frame at the end. The asker acknowledges `{written}` as it writes to disk and the holder never runs more than
 * BLOB_CREDIT_BYTES ahead, so a slow disk slows the sender instead of filling memory. Only a
 * hash is ever accepted, so no peer can name a path. The asker writes into the store's
 * `tmp/<hash>.part`, resumes from its length after a broken connection, and moves the file into
 * place only when the whole content hashes to what was asked.
 */
export function serveBlob(
  stream: Stream,
  store: BlobStore,
  opts: { peer: string; readTimeoutMs?: number },
): Promise<void> {
  return withHeapRoom(() => serve(stream, store, opts))
}

async function serve(stream: Stream, store: BlobStore, opts: { peer: string; readTimeoutMs?: number }) {
  const framed = new FramedStream(stream, {
    peer: opts.peer,
    maxMessageBytes: MAX_BLOB_MESSAGE_BYTES,
    maxBufferedBytes: 64 << 10,
    readTimeoutMs: opts.readTimeoutMs,
  })
  try {
    const request = decodeRequest(await framed.read(), opts.peer)
    const size = await store.size(request.hash)
    if (size === undefined) {
      await framed.write(cbor.encode({ error: 'not-found' }))
    } else {
      await framed.write(cbor.encode({ size }))
      let sent = request.offset
      let acked = request.offset
      const asked = request.chunk ?? BLOB_CHUNK_BYTES_LEGACY
      const chunkBytes = Math.min(Math.max(asked, BLOB_CHUNK_BYTES_LEGACY), BLOB_CHUNK_BYTES)
      const chunks = request.offset < size ? store.openRead(request.hash, request.offset, chunkBytes) : []
      for await (const chunk of chunks) {
        while (sent - acked >= BLOB_CREDIT_BYTES) acked = decodeAck(await framed.read(), opts.peer, sent)
        await framed.write(chunk as Buffer)
        sent += (chunk as Buffer).byteLength
      }
      await framed.write(new Uint8Array(0))
    }
    await framed.close()
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

export interface FetchProgress {
  received: number
  size: number
}

type FetchOptions = { peer: string; readTimeoutMs?: number; onProgress?: (p: FetchProgress) => void }

/** Fetches `hash` over an open stream into the store; returns its path. Throws BLOB_NOT_FOUND when the peer lacks it. */
export function fetchBlobOver(
  stream: Stream,
  store: BlobStore,
  hash: string,
  opts: FetchOptions,
): Promise<string> {
  return withHeapRoom(() => fetchOver(stream, store, hash, opts))
}

async function fetchOver(
  stream: Stream,
  store: BlobStore,
  hash: string,
  opts: FetchOptions,
): Promise<string> {
  assertBlobHash(hash)
  const framed = new FramedStream(stream, {
    peer: opts.peer,
    maxMessageBytes: MAX_BLOB_MESSAGE_BYTES,
    maxBufferedBytes: BLOB_CREDIT_BYTES + 2 * MAX_BLOB_MESSAGE_BYTES,
    readTimeoutMs: opts.readTimeoutMs,
  })
  const part = store.partialPath(hash)
  await mkdir(dirname(part), { recursive: true })
  const hasher = createHash('sha256')
  const offset = await hashExisting(part, hasher)
  const file = await open(part, 'a')
  let keepPart = true
  try {
    await framed.write(cbor.encode({ hash, offset, chunk: BLOB_CHUNK_BYTES }))
    const header = decodeHeader(await framed.read(), opts.peer)
    if ('error' in header) {
      keepPart = offset > 0
      throw P2PError.BLOB_NOT_FOUND(hash, `on peer ${opts.peer}`)
    }
    if (header.size < offset) {
      keepPart = false
      throw P2PError.PROTOCOL(
        opts.peer,
        `blob ${hash} is ${header.size} bytes there, shorter than the ${offset} already fetched`,
      )
    }
    let received = offset
    let acked = offset
    for (;;) {
      const chunk = await framed.read()
      if (chunk.byteLength === 0) break
      received += chunk.byteLength
      if (received > header.size) {
        keepPart = false
        throw P2PError.PROTOCOL(opts.peer, `blob ${hash} sent more than the ${header.size} bytes announced`)
      }
      // The write runs on libuv's thread pool: hashing meanwhile keeps sha256 off the critical path.
      const writing = file.write(chunk)
      hasher.update(chunk)
      await writing
      if (received - acked >= BLOB_CREDIT_BYTES / 4) {
        await framed.write(cbor.encode({ written: received }))
        acked = received
      }
      opts.onProgress?.({ received, size: header.size })
    }
    await file.close()
    const got = hasher.digest('hex')
    if (received !== header.size || got !== hash) {
      keepPart = false
      throw P2PError.BLOB_MISMATCH(hash, got)
    }
    await store.adopt(part, hash)
    await framed.close()
    return store.path(hash)
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  } finally {
    await file.close().catch(() => undefined)
    if (!keepPart) await rm(part, { force: true })
  }
}

async function hashExisting(part: string, hasher: ReturnType<typeof createHash>): Promise<number> {
  const info = await stat(part).catch(() => undefined)
  if (info === undefined || info.size === 0) return 0
  for await (const chunk of createReadStream(part)) hasher.update(chunk as Buffer)
  return info.size
}

function decodeRequest(bytes: Uint8Array, peer: string): { hash: string; offset: number; chunk?: number } {
  const m = safeDecode(bytes, peer) as { hash?: unknown; offset?: unknown; chunk?: unknown }
  if (typeof m?.hash !== 'string' || !Number.isSafeInteger(m.offset) || (m.offset as number) < 0) {
    throw P2PError.PROTOCOL(peer, 'a blob request must be {hash, offset}')
  }
  if (m.chunk !== undefined && !Number.isSafeInteger(m.chunk)) {
    throw P2PError.PROTOCOL(peer, 'the chunk size of a blob request must be a whole number of bytes')
  }
  assertBlobHash(m.hash)
  return { hash: m.hash, offset: m.offset as number, chunk: m.chunk as number | undefined }
}

function decodeAck(bytes: Uint8Array, peer: string, sent: number): number {
  const m = safeDecode(bytes, peer) as { written?: unknown }
  if (!Number.isSafeInteger(m?.written) || (m.written as number) > sent) {
    throw P2PError.PROTOCOL(peer, 'a blob acknowledgement must be {written} within what was sent')
  }
  return m.written as number
}

function decodeHeader(bytes: Uint8Array, peer: string): { size: number } | { error: string } {
  const m = safeDecode(bytes, peer) as { size?: unknown; error?: unknown }
  if (typeof m?.error === 'string') return { error: m.error }
  if (Number.isSafeInteger(m?.size) && (m.size as number) >= 0) return { size: m.size as number }
  throw P2PError.PROTOCOL(peer, 'a blob answer must be {size} or {error}')
}

function safeDecode(bytes: Uint8Array, peer: string): unknown {
  try {
    return cbor.decode(bytes)
  } catch {
    throw P2PError.PROTOCOL(peer, 'a blob message is not valid CBOR')
  }
}
