/**
 * Scene archives. `submit` packs a scene directory into a ustar archive whose bytes depend only
 * on the files' paths, contents, executable bits and links (never on mtimes, owners or the order
 * the disk lists them in), so the same scene is the same blob on every machine. Workers unpack
 * an archive fetched from a peer into a per-job sandbox and trust nothing in it: no absolute
 * paths, no `..`, no links that lead out, no devices. Both sides stream; no archive is ever
 * held in memory whole.
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
} from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { FarmError } from '../errors.ts'
import { DEFAULT_IGNORE, type IgnoreRule, isIgnored, parseIgnore } from './farmignore.ts'
import { BLOCK, decodeHeader, encodeHeader, MAX_ENTRY_SIZE, padding, type UstarHeader } from './ustar.ts'

/** 1 GiB: far above any scene directory of a small farm, far below what fills a Pi's card. */
export const DEFAULT_MAX_ARCHIVE_BYTES = 1024 ** 3

export const IGNORE_FILE = '.farmignore'

export interface SceneEntry extends UstarHeader {
  /** Where the file is on this machine. */
  source: string
}

/** What packing a scene directory will write, checked against the size limit before a byte is. */
export interface ScenePlan {
  dir: string
  entries: SceneEntry[]
  /** The archive's exact size. */
  bytes: number
}

export interface PackResult {
  bytes: number
  /** sha256 of the archive, hex: the blob's name. */
  sha256: string
  files: number
}

export interface UnpackResult {
  files: number
  bytes: number
}

/** Lists what goes into the archive of `dir`, respecting its .farmignore; refuses it over `maxBytes`. */
export async function planScene(dir: string, opts: { maxBytes?: number } = {}): Promise<ScenePlan> {
  const root = resolve(dir)
  const info = await stat(root).catch(() => undefined)
  if (!info?.isDirectory()) throw FarmError.SCENE_NOT_FOUND(dir)
  const realRoot = await realpath(root)
  const ignoreText = await readFile(join(root, IGNORE_FILE), 'utf8').catch(() => '')
  const rules = [...parseIgnore(DEFAULT_IGNORE.join('\n')), ...parseIgnore(ignoreText)]
  const entries: SceneEntry[] = []
  await walk(root, realRoot, '', rules, entries)
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
  let bytes = 2 * BLOCK
  for (const entry of entries) bytes += BLOCK + entry.size + padding(entry.size)
  const limit = opts.maxBytes ?? DEFAULT_MAX_ARCHIVE_BYTES
  if (bytes > limit) throw FarmError.ARCHIVE_TOO_LARGE(dir, bytes, limit)
  return { dir: root, entries, bytes }
}

async function walk(root: string, realRoot: string, rel: string, rules: IgnoreRule[], out: SceneEntry[]) {
  const listing = await readdir(join(root, rel), { withFileTypes: true })
  for (const dirent of listing) {
    const path = rel ? `${rel}/${dirent.name}` : dirent.name
    const source = join(root, path)
    const info = await lstat(source)
    if (isIgnored(rules, path, info.isDirectory())) continue
    if (info.isDirectory()) {
      out.push({ path, type: 'directory', mode: 0o755, size: 0, linkTarget: '', source })
      await walk(root, realRoot, path, rules, out)
    } else if (info.isFile()) {
      if (info.size > MAX_ENTRY_SIZE) throw FarmError.ARCHIVE_TOO_LARGE(path, info.size, MAX_ENTRY_SIZE)
      out.push({
        path,
        type: 'file',
        mode: info.mode & 0o111 ? 0o755 : 0o644,
        size: info.size,
        linkTarget: '',
        source,
      })
    } else if (info.isSymbolicLink()) {
      const target = await readlink(source)
      const resolved = await realpath(source).catch(() => undefined)
      if (isAbsolute(target) || !resolved || !inside(realRoot, resolved))
        throw FarmError.LINK_OUTSIDE_SCENE(path, target)
      out.push({
        path,
        type: 'symlink',
        mode: 0o777,
        size: 0,
        linkTarget: target.split(sep).join('/'),
        source,
      })
    } else throw FarmError.UNSUPPORTED_FILE(path)
  }
}

/** The archive of a plan, as a stream of chunks. */
export function archiveStream(plan: ScenePlan): Readable {
  return Readable.from(archiveChunks(plan), { objectMode: false })
}

async function* archiveChunks(plan: ScenePlan): AsyncGenerator<Buffer> {
  for (const entry of plan.entries) {
    yield encodeHeader(entry)
    if (entry.type !== 'file') continue
    let read = 0
    for await (const chunk of createReadStream(entry.source, { highWaterMark: 256 * 1024 })) {
      read += (chunk as Buffer).length
      if (read > entry.size) throw FarmError.FILE_CHANGED(entry.path)
      yield chunk as Buffer
    }
    if (read !== entry.size) throw FarmError.FILE_CHANGED(entry.path)
    if (padding(entry.size)) yield Buffer.alloc(padding(entry.size))
  }
  yield Buffer.alloc(2 * BLOCK)
}

/** Packs scene directory `dir` into the file `out`. */
export async function packScene(
  dir: string,
  out: string,
  opts: { maxBytes?: number } = {},
): Promise<PackResult> {
  const plan = await planScene(dir, opts)
  const hash = createHash('sha256')
  await pipeline(
    archiveStream(plan),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk)
        yield chunk
      }
    },
    createWriteStream(out),
  )
  return {
    bytes: plan.bytes,
    sha256: hash.digest('hex'),
    files: plan.entries.filter((e) => e.type === 'file').length,
  }
}

/**
 * Unpacks an archive (a file path or a stream of bytes) into `dest`, which must be new or
 * empty. Links are made last, once every file is written, so no file is ever written through
 * one; each must then lead to something inside `dest`. On any refusal `dest` is removed again.
 */
export async function unpackArchive(
  source: string | AsyncIterable<Uint8Array>,
  dest: string,
  opts: { maxBytes?: number } = {},
): Promise<UnpackResult> {
  const root = resolve(dest)
  await mkdir(root, { recursive: true })
  if ((await readdir(root)).length > 0) throw FarmError.SANDBOX_NOT_EMPTY(dest)
  const input = new ByteReader(typeof source === 'string' ? createReadStream(source) : source)
  try {
    return await extract(input, root, opts.maxBytes ?? DEFAULT_MAX_ARCHIVE_BYTES)
  } catch (err) {
    await rm(root, { recursive: true, force: true })
    throw err
  } finally {
    await input.close()
  }
}

async function extract(input: ByteReader, root: string, maxBytes: number): Promise<UnpackResult> {
  const seen = new Set<string>()
  const links: { path: string; target: string }[] = []
  let files = 0
  let bytes = 0
  for (;;) {
    const block = await input.take(BLOCK)
    if (block.length < BLOCK) throw FarmError.BAD_ARCHIVE('it ends in the middle of an entry')
    bytes += BLOCK
    const header = decodeHeader(block)
    if (!header) break
    const path = safePath(header.path)
    if (seen.has(path)) throw FarmError.UNSAFE_ARCHIVE_ENTRY(header.path, 'it appears twice')
    seen.add(path)
    bytes += header.size + padding(header.size)
    if (bytes > maxBytes) throw FarmError.ARCHIVE_TOO_LARGE('the fetched scene', bytes, maxBytes)
    const target = join(root, ...path.split('/'))
    if (header.type === 'directory') await mkdir(target, { recursive: true })
    else if (header.type === 'symlink') links.push({ path, target: header.linkTarget })
    else {
      await mkdir(join(target, '..'), { recursive: true })
      await writeBody(input, target, header.size, header.mode & 0o111 ? 0o755 : 0o644)
      files++
    }
    const skip = (header.type === 'file' ? 0 : header.size) + padding(header.size)
    if ((await input.take(skip)).length < skip)
      throw FarmError.BAD_ARCHIVE('it ends in the middle of an entry')
  }
  await makeLinks(root, links)
  return { files, bytes }
}

/** A relative, `/`-separated path that stays inside the sandbox, or a refusal. */
function safePath(path: string): string {
  if (path === '' || path.includes('\u0000'))
    throw FarmError.UNSAFE_ARCHIVE_ENTRY(path, 'an empty or malformed name')
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\'))
    throw FarmError.UNSAFE_ARCHIVE_ENTRY(path, 'an absolute path')
  const parts = path.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw FarmError.UNSAFE_ARCHIVE_ENTRY(path, 'a path with ..')
  if (parts.length === 0) throw FarmError.UNSAFE_ARCHIVE_ENTRY(path, 'an empty name')
  return parts.join('/')
}

async function writeBody(input: ByteReader, target: string, size: number, mode: number) {
  // 'wx': never open something already there (a file twice, or a name a link could have taken).
  const file = await open(target, 'wx', mode)
  try {
    for (let left = size; left > 0; ) {
      const chunk = await input.take(Math.min(left, 256 * 1024))
      if (chunk.length === 0) throw FarmError.BAD_ARCHIVE('it ends in the middle of a file')
      await file.write(chunk)
      left -= chunk.length
    }
  } finally {
    await file.close()
  }
}

async function makeLinks(root: string, links: { path: string; target: string }[]) {
  const realRoot = await realpath(root)
  for (const link of links) {
    const where = join(root, ...link.path.split('/'))
    const lexical = resolve(join(where, '..'), link.target)
    if (isAbsolute(link.target) || link.target.includes('\\') || !inside(root, lexical))
      throw FarmError.UNSAFE_ARCHIVE_ENTRY(link.path, `a link to ${link.target}, outside the scene`)
    await realDirectories(root, link.path.split('/').slice(0, -1))
    await symlink(link.target, where)
  }
  // Links through links can lead out where each alone looks inside: check where they really go.
  for (const link of links) {
    const real = await realpath(join(root, ...link.path.split('/'))).catch(() => undefined)
    if (!real || !inside(realRoot, real))
      throw FarmError.UNSAFE_ARCHIVE_ENTRY(
        link.path,
        `a link to ${link.target}, which leads outside the scene or nowhere`,
      )
  }
}

/** Makes root/parts... as real directories, refusing to pass through a link made before. */
async function realDirectories(root: string, parts: string[]) {
  let dir = root
  for (const part of parts) {
    dir = join(dir, part)
    const info = await lstat(dir).catch(() => undefined)
    if (!info) await mkdir(dir)
    else if (!info.isDirectory())
      throw FarmError.UNSAFE_ARCHIVE_ENTRY(relative(root, dir), 'a link placed inside another link')
  }
}

/** `path` is `root` or lies under it (lexically). */
export function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))
}

/** Reads exact byte counts from a stream of chunks, holding at most one chunk beyond what is asked. */
class ByteReader {
  readonly #iterator: AsyncIterator<Uint8Array>
  #pending: Buffer = Buffer.alloc(0)

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#iterator = source[Symbol.asyncIterator]()
  }

  /** `count` bytes, or fewer only at the end of the stream. */
  async take(count: number): Promise<Buffer> {
    const parts: Buffer[] = []
    let have = 0
    while (have < count) {
      if (this.#pending.length === 0) {
        const next = await this.#iterator.next()
        if (next.done) break
        this.#pending = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
      }
      const part = this.#pending.subarray(0, count - have)
      this.#pending = this.#pending.subarray(part.length)
      parts.push(part)
      have += part.length
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }

  /** Stops the source (closes the file) when the archive ends before it does. */
  async close() {
    await this.#iterator.return?.()
  }
}
