import { join } from 'node:path'
import type { CaptureLog } from '../capturer.ts'
import type { BackupFailedEvent, CaptureEvent } from '../events.ts'
import { frameDays } from '../layout.ts'
import { readManifest } from '../manifest.ts'
import type { Redact } from '../redact.ts'
import { hashFile, type LocalFile, localFilesOf, statOf } from './local-files.ts'
import { backoffMs, PendingQueue, type Taken } from './pending.ts'
import { RcloneRemote } from './rclone.ts'
import { RemoteRecords, type SentRecord } from './records.ts'

export interface RemoteBackupInit {
  /** The capture directory. */
  dir: string
  /** `--backup-remote`, as given. */
  remote: string
  /** `--backup-bwlimit`, in rclone's syntax. */
  bwlimit?: string
  log: CaptureLog
  redact: Redact
  /** `--backup-retry`: the longest wait between two tries while the remote fails. */
  maxBackoffMs?: number
  /** Where `backup:failed` goes (the capture's own event stream). */
  onEvent: (event: BackupFailedEvent) => void
  now?: () => number
}

/** Files per rclone run: one process start for many small files. */
const BATCH_FILES = 100
/** Bytes per rclone run, so one run never outlasts a capture interval by much. */
const BATCH_BYTES = 64 * 1024 * 1024
/** Files held in memory; beyond, a day is scanned again later (the disk is the real queue). */
const MAX_QUEUED = 5_000
/** A scan refills the queue only while it is shorter than this. */
const SCAN_BELOW = 1_000
/**
 * How long a stop goes on sending what waits (the last capture's manifest and video): an upload
 * cut off leaves a partial file on the remote, sent again at the next start but short until then.
 */
const STOP_GRACE_MS = 10_000

/**
 * `farm capture --backup-remote`: sends every file of the capture layout to an rclone remote,
 * in the background of the capture. A capture's events say which files changed; a scan of the
 * days against backup-remote/ (records.ts) finds what a restart, an outage or a full queue left.
 * A file counts as backed up only once the remote was seen holding it with the same size (and
 * hash, where it has one), and only such files may `--keep-days` delete.
 */
export class RemoteBackup {
  readonly rclone: RcloneRemote
  readonly #init: RemoteBackupInit
  readonly #records: RemoteRecords
  readonly #queue: PendingQueue
  readonly #toScan = new Set<string>()
  readonly #toCheck = new Set<string>()
  readonly #prunable = new Set<string>()
  readonly #keptTold = new Set<string>()
  readonly #stop = new AbortController()
  #stopping = false
  readonly #now: () => number
  #loop: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #again = false
  /** Whole batches failed in a row: the remote's state, not one file's. */
  #failures = 0
  #retryAt = 0
  #idle: (() => void)[] = []

  private constructor(init: RemoteBackupInit, rclone: RcloneRemote, records: RemoteRecords) {
    this.#init = init
    this.rclone = rclone
    this.#records = records
    this.#now = init.now ?? Date.now
    this.#queue = new PendingQueue(MAX_QUEUED, init.maxBackoffMs)
  }

  /**
   * Checks rclone and the remote's name or string (throws RCLONE_MISSING, BAD_REMOTE: bad
   * input, exit 2), and opens the records. A remote that is only unreachable now is no reason
   * not to capture: uploads start when it answers.
   */
  static async start(init: RemoteBackupInit): Promise<RemoteBackup> {
    const records = new RemoteRecords(init.dir, init.remote)
    const rclone = new RcloneRemote({
      remote: init.remote,
      scratch: records.root,
      redact: init.redact,
      ...(init.bwlimit === undefined ? {} : { bwlimit: init.bwlimit }),
    })
    // Before anything is written: a mistyped remote leaves nothing behind.
    const unreachable = await rclone.probe()
    if (!(await records.known()))
      init.log('info', `backup: nothing sent to ${rclone.shown} yet: every file goes to it`)
    await records.open()
    if (unreachable !== undefined)
      init.log(
        'warn',
        `backup: ${rclone.shown} does not answer now (${unreachable}); uploads start when it does`,
      )
    return new RemoteBackup(init, rclone, records)
  }

  /** Files waiting, for logs and `--once`. */
  get pending(): number {
    return this.#queue.size
  }

  /** The files each event changed go to the queue; the upload starts at once unless in a backoff. */
  onCaptureEvent(event: CaptureEvent): void {
    const day = 'day' in event ? event.day : undefined
    if (day === undefined) return
    const paths: string[] = []
    switch (event.type) {
      case 'frame:saved':
        paths.push(
          `frames/${day}/${event.file}`,
          `thumbs/${day}/${event.file}`,
          `frames/${day}/manifest.json`,
        )
        break
      case 'timelapse:rebuilt':
        paths.push(`timelapse/${day}.mp4`, ...(event.poster ? [`timelapse/${day}.jpg`] : []))
        break
      case 'day:finalized':
        paths.push(`frames/${day}/manifest.json`)
        // A finished day is scanned once more, to be recorded as complete.
        this.#toScan.add(day)
        break
      case 'frame:missed':
      case 'day:pruned':
        paths.push(`frames/${day}/manifest.json`)
        break
    }
    for (const path of paths) if (!this.#queue.add(path, this.#now())) this.#toScan.add(day)
    this.#kick()
  }

  /** After the capturer's recovery: every day is compared with the records, oldest first. */
  async scanAll(): Promise<void> {
    for (const day of await frameDays(this.#init.dir)) this.#toScan.add(day)
    this.#kick()
  }

  /**
   * Asked by the capturer before `--keep-days` deletes a day's frames. Answers from what a
   * background check of the remote found, so a capture never waits for the network: the first
   * ask starts the check, a later tick prunes.
   */
  async mayPrune(day: string): Promise<boolean> {
    if (this.#prunable.has(day)) return true
    this.#toCheck.add(day)
    this.#kick()
    return false
  }

  /** Resolves once nothing is waiting, or a whole batch failed (the remote is down): for `--once`. */
  settled(): Promise<void> {
    if (this.#loop === undefined && this.#queue.size === 0 && this.#toScan.size === 0)
      return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /**
   * Sends what is due for up to STOP_GRACE_MS (none of it if the remote is in a backoff), scans
   * and waits for nothing more, then stops rclone: what is left waits for the next start.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.#stopping = true
    clearTimeout(this.#timer)
    if (this.#loop === undefined && this.#now() >= this.#retryAt) this.#kick()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.#loop, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
    clearTimeout(timer)
    this.#stop.abort()
    await this.#loop
    this.#wakeIdle()
  }

  #kick(): void {
    if (this.#stop.signal.aborted) return
    if (this.#loop !== undefined) {
      this.#again = true
      return
    }
    clearTimeout(this.#timer)
    this.#loop = this.#run()
      .catch((err: unknown) => this.#init.log('error', `backup: ${this.#init.redact(String(err))}`))
      .finally(() => {
        this.#loop = undefined
        if (this.#again) {
          this.#again = false
          this.#kick()
        } else this.#schedule()
      })
  }

  /** Sleeps until the next file is due, or the backoff ends; no timer keeps the process alive by itself. */
  #schedule(): void {
    if (this.#stopping) return
    const next = this.#queue.nextDueAt()
    if (next === undefined && this.#toCheck.size === 0) {
      this.#wakeIdle()
      return
    }
    const at = Math.max(next ?? this.#now(), this.#retryAt)
    this.#timer = setTimeout(() => this.#kick(), Math.max(0, at - this.#now()) + 50)
    this.#timer.unref()
  }

  #wakeIdle(): void {
    for (const resolve of this.#idle.splice(0)) resolve()
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal
    for (const day of await this.#records.takeRescan()) this.#toScan.add(day)
    while (!signal.aborted) {
      if (this.#now() < this.#retryAt) return
      const batch = this.#queue.due(this.#now(), BATCH_FILES)
      if (batch.length > 0) {
        if (!(await this.#send(batch))) {
          // The remote is down: `--once` stops waiting, the daemon retries after the backoff.
          this.#wakeIdle()
          return
        }
        continue
      }
      if (this.#stopping) return
      const check = first(this.#toCheck)
      if (check !== undefined) {
        this.#toCheck.delete(check)
        await this.#checkPrunable(check)
        continue
      }
      const scan = this.#queue.size < SCAN_BELOW ? first(this.#toScan) : undefined
      if (scan !== undefined) {
        this.#toScan.delete(scan)
        await this.#scan(scan)
        continue
      }
      return
    }
  }

  /** Queues every file of the day that no record matches; records a final day whose files all match as complete. */
  async #scan(day: string): Promise<void> {
    const complete = await this.#records.completeOf(day)
    if (complete !== undefined && (await this.#unchanged(complete))) return
    const records = await this.#records.read(day)
    const files = await localFilesOf(this.#init.dir, day)
    let missing = 0
    for (const file of files) {
      if (matches(records.get(file.path), file)) continue
      missing++
      if (!this.#queue.add(file.path, this.#now())) {
        this.#toScan.add(day)
        return
      }
    }
    const manifest = await readManifest(this.#init.dir, day).catch(() => undefined)
    if (missing === 0 && manifest?.final) await this.#records.markComplete(day, records)
  }

  /** A complete day's manifest, video and picture are still the ones recorded (a --rebuild changes them). */
  async #unchanged(records: SentRecord[]): Promise<boolean> {
    for (const record of records) {
      const file = await statOf(this.#init.dir, record.path)
      if (file !== undefined && !matches(record, file)) return false
    }
    return true
  }

  /** The batch's files as they are now, hashed, within BATCH_BYTES; one gone or unreadable leaves it. */
  async #prepare(batch: Taken[]): Promise<Prepared[]> {
    const files: Prepared[] = []
    let bytes = 0
    for (const taken of batch) {
      try {
        const local = await statOf(this.#init.dir, taken.path)
        if (local === undefined) {
          // Gone: deleted by hand (farm deletes only what the remote holds). Nothing left to send.
          this.#queue.drop(taken.path)
          continue
        }
        if (files.length > 0 && bytes + local.size > BATCH_BYTES) break
        files.push({ taken, local, ...(await hashFile(join(this.#init.dir, taken.path), this.rclone.hash)) })
        bytes += local.size
      } catch (err) {
        // Unreadable (EACCES, EIO): tried again after a backoff, not in a loop.
        const times = this.#queue.failed(taken.path, this.#now())
        this.#init.log(
          'error',
          `backup: cannot read ${taken.path} (${times} in a row): ${(err as Error).message}`,
        )
      }
    }
    return files
  }

  /** One rclone run for a batch, then a listing of the same files: true when the remote answered. */
  async #send(batch: Taken[]): Promise<boolean> {
    const { dir } = this.#init
    const signal = this.#stop.signal
    if (!this.rclone.probed) {
      const why = await this.rclone.probe(signal)
      if (why !== undefined)
        return this.#batchFailed(
          batch.map((t) => t.path),
          why,
        )
    }
    const files = await this.#prepare(batch)
    if (files.length === 0) return true
    const paths = files.map((f) => f.taken.path)
    const uploadError = await this.rclone.upload(dir, paths, signal)
    if (signal.aborted) return true
    let remote: Awaited<ReturnType<RcloneRemote['stat']>>
    try {
      remote = await this.rclone.stat(paths, signal)
    } catch (err) {
      return this.#batchFailed(paths, uploadError ?? (err as Error).message)
    }
    const confirmed: SentRecord[] = []
    const failed: string[] = []
    for (const f of files) {
      const there = remote.get(f.taken.path)
      const same =
        there !== undefined &&
        there.size === f.local.size &&
        (there.hash === undefined || there.hash === f.remote)
      // Replaced while it was uploading: what the remote got may be either version; send again.
      const now = await statOf(dir, f.taken.path)
      if (same && now !== undefined && matches(f.local, now)) {
        confirmed.push({
          path: f.taken.path,
          size: f.local.size,
          mtimeMs: f.local.mtimeMs,
          sha256: f.sha256,
          ...(f.remote !== undefined && this.rclone.hash !== 'sha256' ? { remoteHash: f.remote } : {}),
        })
        this.#queue.done(f.taken)
      } else if (!same) failed.push(f.taken.path)
    }
    await this.#records.sent(confirmed)
    if (confirmed.length === 0 && failed.length > 0)
      return this.#batchFailed(failed, uploadError ?? 'the remote does not hold what was sent')
    if (this.#failures > 0) {
      this.#init.log(
        'info',
        `backup: ${this.rclone.shown} answers again after ${this.#failures} failed uploads`,
      )
      this.#failures = 0
      this.#retryAt = 0
      this.#queue.dueNow(this.#now())
    }
    for (const path of failed) {
      const times = this.#queue.failed(path, this.#now())
      const why = uploadError ?? 'the remote holds another size or hash'
      this.#init.log(
        'warn',
        `backup: ${path} not confirmed on ${this.rclone.shown} (${times} in a row): ${why}`,
      )
      if (isPowerOfTwo(times)) this.#report(why, [path], times)
    }
    return true
  }

  #batchFailed(paths: string[], why: string): false {
    this.#failures++
    const wait = backoffMs(this.#failures, this.#init.maxBackoffMs)
    this.#retryAt = this.#now() + wait
    for (const path of paths) this.#queue.failed(path, this.#now())
    this.#init.log(
      'warn',
      `backup: upload to ${this.rclone.shown} failed (${this.#failures} in a row), ${this.#queue.size} files wait; next try in ${Math.round(wait / 1000)} s: ${why}`,
    )
    // 1, 2, 4, 8...: a script hears of an outage at once, and not every 10 minutes of a long one.
    if (isPowerOfTwo(this.#failures)) this.#report(why, paths, this.#failures)
    return false
  }

  #report(error: string, files: string[], failures: number): void {
    this.#init.onEvent({
      type: 'backup:failed',
      ts: this.#now(),
      remote: this.rclone.shown,
      error,
      pending: this.#queue.size,
      files: files.slice(0, 20),
      failures,
    })
  }

  /**
   * A day may be pruned when every frame and thumbnail on disk has a record, and the remote,
   * asked now, holds each with the recorded size (and hash). A file the remote lost is queued again.
   */
  async #checkPrunable(day: string): Promise<void> {
    const records = await this.#records.read(day)
    const local = (await localFilesOf(this.#init.dir, day)).filter(
      (f) => !f.path.startsWith('timelapse/') && !f.path.endsWith('manifest.json'),
    )
    const unsent = local.filter((f) => !matches(records.get(f.path), f))
    if (unsent.length > 0) {
      this.#keep(day, `${unsent.length} of its ${local.length} files are not on ${this.rclone.shown} yet`)
      for (const f of unsent) this.#queue.add(f.path, this.#now())
      return
    }
    let remote: Map<string, { size: number; hash?: string }>
    try {
      remote = new Map([
        ...(await this.rclone.list(`frames/${day}`, this.#stop.signal)),
        ...(await this.rclone.list(`thumbs/${day}`, this.#stop.signal)),
      ])
    } catch (err) {
      this.#keep(day, `${this.rclone.shown} could not be asked: ${(err as Error).message}`)
      return
    }
    const lost: string[] = []
    for (const f of local) {
      const there = remote.get(f.path)
      const record = records.get(f.path)!
      const hash = this.rclone.hash === 'sha256' ? record.sha256 : record.remoteHash
      if (
        there === undefined ||
        there.size !== record.size ||
        (there.hash !== undefined && hash !== undefined && there.hash !== hash)
      )
        lost.push(f.path)
    }
    if (lost.length > 0) {
      await this.#records.stale(lost)
      for (const path of lost) this.#queue.add(path, this.#now())
      this.#keep(
        day,
        `${lost.length} of its files are missing or differ on ${this.rclone.shown}: sending them again`,
      )
      return
    }
    this.#prunable.add(day)
  }

  #keep(day: string, why: string): void {
    if (this.#keptTold.has(day)) return
    this.#keptTold.add(day)
    this.#init.log('info', `backup: --keep-days keeps the frames of ${day} for now: ${why}`)
  }
}

/** A file of a batch: as stat saw it before the upload, and its hashes. */
interface Prepared {
  taken: Taken
  local: LocalFile
  sha256: string
  /** In the remote's own hash, when it keeps one. */
  remote?: string
}

function matches(record: Pick<SentRecord, 'size' | 'mtimeMs'> | undefined, file: LocalFile): boolean {
  return record !== undefined && record.size === file.size && record.mtimeMs === file.mtimeMs
}

function first<T>(set: Set<T>): T | undefined {
  for (const item of set) return item
  return undefined
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0
}
