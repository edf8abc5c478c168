import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { P2PError } from './errors.ts'

const HASH = /^[0-9a-f]{64}$/

/** Throws unless `hash` is a sha256 in lowercase hex: the only names the store and the wire accept. */
export function assertBlobHash(hash: string): void {
  if (!HASH.test(hash)) throw P2PError.BAD_HASH(hash)
}

/**
 * Content-addressed files: `<dir>/<first 2 hex>/<sha256 hex>`. Everything arrives first in
 * `<dir>/tmp/` and is renamed into place only once its hash is known (put) or checked (fetch),
 * so a path under a hash always holds exactly that content.
 */
export class BlobStore {
  readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  path(hash: string): string {
    assertBlobHash(hash)
    return join(this.dir, hash.slice(0, 2), hash)
  }

  /** Where an interrupted download of `hash` waits to be resumed. */
  partialPath(hash: string): string {
    assertBlobHash(hash)
    return join(this.dir, 'tmp', `${hash}.part`)
  }

  async has(hash: string): Promise<boolean> {
    return (await this.size(hash)) !== undefined
  }

  async size(hash: string): Promise<number | undefined> {
    const info = await stat(this.path(hash)).catch(() => undefined)
    return info?.isFile() ? info.size : undefined
  }

  /** Stores a file (by path) or a stream, hashing as it copies; returns the sha256 hex. */
  async put(source: string | Readable): Promise<string> {
    const tmp = await this.tempFile()
    const hasher = createHash('sha256')
    try {
      const input = typeof source === 'string' ? createReadStream(source) : source
      await pipeline(
        input,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hasher.update(chunk)
            yield chunk
          }
        },
        createWriteStream(tmp, { mode: 0o644 }),
      )
      const hash = hasher.digest('hex')
      await this.adopt(tmp, hash)
      return hash
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  /** Moves a fully written and verified temp file into place under its hash. */
  async adopt(tmp: string, hash: string): Promise<void> {
    const target = this.path(hash)
    await mkdir(join(this.dir, hash.slice(0, 2)), { recursive: true })
    await rename(tmp, target)
  }

  /** The content from byte `start` on, in chunks of `chunkBytes` (the last one shorter). */
  openRead(hash: string, start: number, chunkBytes: number): ReadStream {
    return createReadStream(this.path(hash), { start, highWaterMark: chunkBytes })
  }

  async tempFile(): Promise<string> {
    await mkdir(join(this.dir, 'tmp'), { recursive: true })
    return join(this.dir, 'tmp', `put-${randomBytes(8).toString('hex')}`)
  }
}
