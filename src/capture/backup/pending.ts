/**
 * The files waiting for the backup remote, in memory: which to send next (frames first: they
 * are what cannot be made again; videos last: they are rebuilt from frames and replaced after
 * every capture), and when a file that failed may be tried again. Pure: the clock is passed in.
 *
 * It is not what survives a restart: the disk is. A file is pending exactly when it has no
 * record matching it in backup-remote/ (records.ts), so a restart finds the same files again
 * by scanning the days, and a queue that is full hands its overflow to that scan.
 */

/** Upload order by the path's kind: lower goes first. */
export function priorityOf(path: string): number {
  if (/^frames\/[^/]+\/\d{6}\.jpg$/.test(path)) return 0
  if (path.endsWith('manifest.json')) return 1
  if (path.startsWith('thumbs/')) return 2
  return 3
}

/** The longest wait between two tries by default: a month-long outage costs six calls an hour. */
export const MAX_BACKOFF_MS = 600_000

/** Wait after the n-th failure in a row: 10 s (or `maxMs` if shorter) doubling up to `maxMs`. */
export function backoffMs(failures: number, maxMs = MAX_BACKOFF_MS): number {
  if (failures <= 0) return 0
  return Math.min(Math.min(10_000, maxMs) * 2 ** (failures - 1), maxMs)
}

interface Item {
  path: string
  priority: number
  failures: number
  dueAt: number
  /** Bumped by each add: a file changed again while its upload ran is still pending after it. */
  version: number
}

export interface Taken {
  path: string
  version: number
}

export class PendingQueue {
  readonly #items = new Map<string, Item>()
  readonly #max: number
  readonly #maxBackoffMs: number

  constructor(max: number, maxBackoffMs = MAX_BACKOFF_MS) {
    this.#max = max
    this.#maxBackoffMs = maxBackoffMs
  }

  get size(): number {
    return this.#items.size
  }

  get full(): boolean {
    return this.#items.size >= this.#max
  }

  /** Queues a file, or notes that a queued one changed. False when full: the caller scans its day later. */
  add(path: string, now: number): boolean {
    const item = this.#items.get(path)
    if (item !== undefined) {
      item.version++
      return true
    }
    if (this.full) return false
    this.#items.set(path, { path, priority: priorityOf(path), failures: 0, dueAt: now, version: 0 })
    return true
  }

  /** Up to `count` files due now, in upload order. */
  due(now: number, count: number): Taken[] {
    return [...this.#items.values()]
      .filter((i) => i.dueAt <= now)
      .sort((a, b) => a.priority - b.priority || a.path.localeCompare(b.path))
      .slice(0, count)
      .map((i) => ({ path: i.path, version: i.version }))
  }

  /** The earliest time a waiting file is due, undefined when none waits. */
  nextDueAt(): number | undefined {
    let next: number | undefined
    for (const item of this.#items.values()) if (next === undefined || item.dueAt < next) next = item.dueAt
    return next
  }

  /** The file is on the remote as it was when taken; a newer version stays queued. */
  done(taken: Taken): void {
    const item = this.#items.get(taken.path)
    if (item?.version === taken.version) this.#items.delete(taken.path)
  }

  /** Nothing to send any more (the file is gone). */
  drop(path: string): void {
    this.#items.delete(path)
  }

  /** Returns how many times in a row this file failed. */
  failed(path: string, now: number): number {
    const item = this.#items.get(path)
    if (item === undefined) return 0
    item.failures++
    item.dueAt = now + backoffMs(item.failures, this.#maxBackoffMs)
    return item.failures
  }

  /** The remote is back: what waited out a backoff goes now. */
  dueNow(now: number): void {
    for (const item of this.#items.values()) if (item.dueAt > now) item.dueAt = now
  }
}
