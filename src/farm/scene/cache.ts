/**
 * A worker's cache of scene files fetched from peers: blobs in its store, bounded in total size,
 * the least recently used removed first. Only blobs this node fetched for a job's scene are
 * recorded, so nothing it made itself (its own scenes, frames, videos) is ever removed; a file
 * it later submits in a scene of its own is forgotten here, and kept.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import type { BlobStore } from '../../p2p/index.ts'

interface CacheRecord {
  size: number
  /** Milliseconds since the epoch of the last job that used it. */
  used: number
}

export class SceneCache {
  readonly #file: string
  readonly #limit: number
  readonly #blobs: BlobStore
  #records: Map<string, CacheRecord> | undefined
  #queue: Promise<unknown> = Promise.resolve()

  constructor(file: string, limitBytes: number, blobs: BlobStore) {
    this.#file = file
    this.#limit = limitBytes
    this.#blobs = blobs
  }

  /**
   * Marks a scene's files used now (recording those in `fetched`), then removes the least
   * recently used others until the cache fits its limit. Returns the blobs it removed.
   */
  use(files: { hash: string; size: number }[], fetched: Set<string>, now = Date.now()): Promise<string[]> {
    return this.#serial(async (records) => {
      for (const { hash, size } of files) {
        const known = records.get(hash)
        if (known) known.used = now
        else if (fetched.has(hash)) records.set(hash, { size, used: now })
      }
      const inUse = new Set(files.map((f) => f.hash))
      let total = [...records.values()].reduce((sum, r) => sum + r.size, 0)
      const removed: string[] = []
      for (const [hash, record] of [...records].sort((a, b) => a[1].used - b[1].used)) {
        if (total <= this.#limit) break
        if (inUse.has(hash)) continue
        await rm(this.#blobs.path(hash), { force: true })
        records.delete(hash)
        total -= record.size
        removed.push(hash)
      }
      return removed
    })
  }

  /** Blobs this node now needs for itself (a scene it submits): never removed. */
  forget(hashes: string[]): Promise<void> {
    return this.#serial(async (records) => {
      for (const hash of hashes) records.delete(hash)
    })
  }

  #serial<T>(step: (records: Map<string, CacheRecord>) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      const records = await this.#load()
      const result = await step(records)
      await this.#save(records)
      return result
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #load(): Promise<Map<string, CacheRecord>> {
    if (this.#records) return this.#records
    const text = await readFile(this.#file, 'utf8').catch(() => '{}')
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch {
      data = {}
    }
    const records = new Map<string, CacheRecord>()
    for (const [hash, value] of Object.entries(data as object)) {
      const r = value as Partial<CacheRecord>
      if (/^[0-9a-f]{64}$/.test(hash) && Number.isSafeInteger(r.size) && Number.isFinite(r.used))
        records.set(hash, { size: r.size!, used: r.used! })
    }
    this.#records = records
    return records
  }

  async #save(records: Map<string, CacheRecord>) {
    const tmp = `${this.#file}.tmp`
    await writeFile(tmp, JSON.stringify(Object.fromEntries(records)))
    await rename(tmp, this.#file)
  }
}
