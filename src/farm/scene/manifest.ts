/**
 * A scene stored file by file: each file a blob named by its sha256, and a manifest (a blob
 * too) listing paths, modes, sizes and hashes. A job names the manifest; a worker fetches only
 * the files it does not hold yet, so a resubmission with one changed texture moves one texture.
 * The worker turns manifest and blobs back into a ustar stream and unpacks that with every
 * check unpackArchive makes, so a hostile manifest meets the same refusals as a hostile archive.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { z } from 'zod'
import type { BlobStore } from '../../p2p/index.ts'
import { FarmError } from '../errors.ts'
import type { ScenePlan } from './archive.ts'
import { BLOCK, encodeHeader, padding } from './ustar.ts'

export const MANIFEST_VERSION = 1
/** Far above any scene directory a person keeps; bounds what a hostile manifest makes a worker hold. */
export const MAX_MANIFEST_ENTRIES = 100_000
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024

const entrySchema = z.strictObject({
  path: z.string().min(1).max(1024),
  type: z.enum(['file', 'directory', 'symlink']),
  mode: z.number().int().min(0).max(0o777),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  linkTarget: z.string().max(100).optional(),
})

const manifestSchema = z.strictObject({
  v: z.literal(MANIFEST_VERSION),
  entries: z.array(entrySchema).max(MAX_MANIFEST_ENTRIES),
})

export type ManifestEntry = z.infer<typeof entrySchema>
export type SceneManifest = z.infer<typeof manifestSchema>

export interface StoredScene {
  /** The manifest's blob: what the job names. */
  hash: string
  files: number
  bytes: number
  /** Every file's blob, for pinning. */
  blobs: string[]
}

/** Stores each file of `plan` as a blob (those already held are only hashed) and the manifest. */
export async function storeScene(plan: ScenePlan, blobs: BlobStore): Promise<StoredScene> {
  const entries: ManifestEntry[] = []
  let bytes = 0
  for (const entry of plan.entries) {
    const base = { path: entry.path, type: entry.type, mode: entry.mode, size: entry.size }
    if (entry.type === 'symlink') entries.push({ ...base, linkTarget: entry.linkTarget })
    else if (entry.type === 'directory') entries.push(base)
    else {
      let hash = await hashFile(entry.source)
      if (!(await blobs.has(hash))) hash = await blobs.put(entry.source)
      if ((await blobs.size(hash)) !== entry.size) throw FarmError.FILE_CHANGED(entry.path)
      entries.push({ ...base, hash })
      bytes += entry.size
    }
  }
  const manifest: SceneManifest = { v: MANIFEST_VERSION, entries }
  const hash = await blobs.put(Readable.from([Buffer.from(JSON.stringify(manifest))]))
  return {
    hash,
    files: entries.filter((e) => e.type === 'file').length,
    bytes,
    blobs: entries.flatMap((e) => (e.hash ? [e.hash] : [])),
  }
}

/** A manifest as fetched from a peer: refused unless well-formed. */
export function parseManifest(bytes: Buffer): SceneManifest {
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw FarmError.BAD_ARCHIVE(`its manifest is over ${MAX_MANIFEST_BYTES} bytes`)
  let data: unknown
  try {
    data = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw FarmError.BAD_ARCHIVE('its manifest is not JSON')
  }
  const parsed = manifestSchema.safeParse(data)
  if (!parsed.success)
    throw FarmError.BAD_ARCHIVE(`its manifest is malformed (${parsed.error.issues[0]?.message})`)
  for (const entry of parsed.data.entries)
    if ((entry.type === 'file') !== (entry.hash !== undefined))
      throw FarmError.BAD_ARCHIVE(`manifest entry ${entry.path} has a hash only if it is a file`)
  return parsed.data
}

/** The distinct file blobs of a manifest with their sizes. */
export function manifestBlobs(manifest: SceneManifest): { hash: string; size: number }[] {
  const seen = new Map<string, number>()
  for (const e of manifest.entries) if (e.hash) seen.set(e.hash, e.size)
  return [...seen].map(([hash, size]) => ({ hash, size }))
}

/** The scene as a ustar stream, each file's body read from its blob at `pathOf(hash)`. */
export function manifestArchive(manifest: SceneManifest, pathOf: (hash: string) => string): Readable {
  return Readable.from(manifestChunks(manifest, pathOf), { objectMode: false })
}

async function* manifestChunks(manifest: SceneManifest, pathOf: (hash: string) => string) {
  for (const entry of manifest.entries) {
    yield encodeHeader({ ...entry, linkTarget: entry.linkTarget ?? '' })
    if (entry.type !== 'file') continue
    let read = 0
    for await (const chunk of createReadStream(pathOf(entry.hash!), { highWaterMark: 256 * 1024 })) {
      read += (chunk as Buffer).length
      if (read > entry.size) break
      yield chunk as Buffer
    }
    if (read !== entry.size)
      throw FarmError.BAD_ARCHIVE(`file ${entry.path} is not the size its manifest says`)
    if (padding(entry.size)) yield Buffer.alloc(padding(entry.size))
  }
  yield Buffer.alloc(2 * BLOCK)
}

/** sha256 of a file's content, hex. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
