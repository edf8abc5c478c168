import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type RunResult, runProgram } from '../../render/index.ts'
import { CaptureError } from '../errors.ts'
import { type Redact, redactRemote } from '../redact.ts'

/**
 * farm's one way to a cloud bucket: rclone, run as a child for each step and gone in between,
 * so an idle Pi holds no cloud client in memory. Every path is relative to the capture
 * directory locally and to the remote's root remotely, so one list of names serves both.
 */

const RCLONE = process.env.FARM_RCLONE ?? 'rclone'

/** Hashes farm can also compute locally, best first; the remote's own, when it has one of them. */
export type RemoteHash = 'sha256' | 'sha1' | 'md5'
const USABLE_HASHES: readonly RemoteHash[] = ['sha256', 'sha1', 'md5']

/**
 * Short limits: farm retries with its own backoff, so one rclone run should fail fast when the
 * endpoint is down rather than wait minutes inside its own retries.
 */
const QUICK = ['--retries', '1', '--low-level-retries', '2', '--contimeout', '10s', '--timeout', '60s']

/** rclone's words for a remote it cannot make sense of, which no waiting mends. */
const NEVER_HEALS =
  /didn't find (section|backend)|unknown backend|config file not found|failed to parse|syntax error/i

/** A listing of a day of frames is ~300 bytes a file: this is a few hundred thousand files. */
const MAX_LISTING = 128 * 1024 * 1024

export interface RemoteFile {
  size: number
  /** In the remote's hash (RcloneRemote.hash), when it has one. */
  hash?: string
}

export interface RcloneInit {
  /** As the user gave it: `name:path` or `:backend,key=value:path`. */
  remote: string
  /** `--bwlimit` for uploads, in rclone's syntax (`1M`, `512k`, `08:00,512k 19:00,off`). */
  bwlimit?: string
  /** Where list files for `--files-from-raw` go (the backup's state folder). */
  scratch: string
  redact: Redact
}

export class RcloneRemote {
  readonly remote: string
  /** The remote as logs, events and messages show it. */
  readonly shown: string
  #hash: RemoteHash | undefined | null = null
  readonly #init: RcloneInit

  constructor(init: RcloneInit) {
    this.#init = init
    this.remote = init.remote
    this.shown = redactRemote(init.remote)
  }

  /** The remote's hash farm can check against, undefined when it has none; known after `probe`. */
  get hash(): RemoteHash | undefined {
    return this.#hash ?? undefined
  }

  get probed(): boolean {
    return this.#hash !== null
  }

  /**
   * Asks rclone what the remote is. Throws RCLONE_MISSING or BAD_REMOTE (a name rclone does
   * not know, a backend that does not exist, a malformed string): these never heal by waiting.
   * Returns why the remote cannot be reached now (an endpoint down), which does heal.
   */
  async probe(signal?: AbortSignal): Promise<string | undefined> {
    const result = await this.#rclone(['backend', 'features', this.remote], { signal })
    if (result.spawnError?.code === 'ENOENT') throw CaptureError.RCLONE_MISSING()
    if (!result.ok) {
      const why = this.#why(result)
      if (NEVER_HEALS.test(why)) throw CaptureError.BAD_REMOTE(this.shown, why)
      return why
    }
    let features: { Hashes?: unknown }
    try {
      features = JSON.parse(result.stdout.toString('utf8'))
    } catch {
      return 'rclone backend features gave no JSON'
    }
    const hashes = Array.isArray(features.Hashes) ? features.Hashes : []
    this.#hash = USABLE_HASHES.find((h) => hashes.includes(h))
    return undefined
  }

  /** Uploads the files (paths below `dir`) to the same paths on the remote, replacing what is there. */
  async upload(dir: string, paths: string[], signal: AbortSignal): Promise<string | undefined> {
    const bw = this.#init.bwlimit === undefined ? [] : ['--bwlimit', this.#init.bwlimit]
    // --ignore-times: a queued file is one that changed, even when its size did not (a manifest),
    // and a remote without modification times (WebDAV) would otherwise be compared on size alone.
    const result = await this.#withList(paths, (list) =>
      this.#rclone(
        [
          'copy',
          '--files-from-raw',
          list,
          '--no-traverse',
          '--ignore-times',
          ...QUICK,
          ...bw,
          dir,
          this.remote,
        ],
        {
          signal,
        },
      ),
    )
    return result.ok ? undefined : this.#why(result)
  }

  /** What the remote holds of these paths: size, and hash if it has one. Throws REMOTE_FAILED. */
  async stat(paths: string[], signal?: AbortSignal): Promise<Map<string, RemoteFile>> {
    const result = await this.#withList(paths, (list) =>
      this.#rclone(
        ['lsjson', '-R', '--files-from-raw', list, '--no-traverse', ...this.#listFlags(), this.remote],
        {
          signal,
        },
      ),
    )
    if (!result.ok)
      throw CaptureError.REMOTE_FAILED(this.shown, 'read back the uploaded files', this.#why(result))
    return this.#listing(result.stdout.toString('utf8'), '')
  }

  /** Every file under `sub` on the remote (empty when it does not exist). Throws REMOTE_FAILED. */
  async list(sub: string, signal?: AbortSignal): Promise<Map<string, RemoteFile>> {
    const result = await this.#rclone(['lsjson', '-R', ...this.#listFlags(), this.at(sub)], { signal })
    // 3: directory not found, which for a listing means nothing there yet.
    if (result.exitCode === 3) return new Map()
    if (!result.ok) throw CaptureError.REMOTE_FAILED(this.shown, `list ${sub}`, this.#why(result))
    return this.#listing(result.stdout.toString('utf8'), `${sub}/`)
  }

  /** The folders directly under `sub`. */
  async folders(sub: string, signal?: AbortSignal): Promise<string[]> {
    const result = await this.#rclone(
      ['lsjson', '--dirs-only', '--no-mimetype', '--no-modtime', this.at(sub)],
      { signal },
    )
    if (result.exitCode === 3) return []
    if (!result.ok) throw CaptureError.REMOTE_FAILED(this.shown, `list ${sub}`, this.#why(result))
    return (JSON.parse(result.stdout.toString('utf8')) as { Name: string }[]).map((e) => e.Name)
  }

  /** sha256 of each file as downloaded: for remotes that keep no hash of their own. Throws REMOTE_FAILED. */
  async downloadedSha256(paths: string[], signal?: AbortSignal): Promise<Map<string, string>> {
    const result = await this.#withList(paths, (list) =>
      this.#rclone(['hashsum', 'sha256', '--download', '--files-from-raw', list, ...QUICK, this.remote], {
        signal,
      }),
    )
    const sums = new Map<string, string>()
    for (const line of result.stdout.toString('utf8').split('\n')) {
      const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line)
      if (match) sums.set(match[2]!, match[1]!)
    }
    if (!result.ok && sums.size === 0)
      throw CaptureError.REMOTE_FAILED(this.shown, 'download files to hash them', this.#why(result))
    return sums
  }

  /** A path below the remote's root, in rclone's syntax. */
  at(sub: string): string {
    return this.remote.endsWith(':') || this.remote.endsWith('/')
      ? `${this.remote}${sub}`
      : `${this.remote}/${sub}`
  }

  #listFlags(): string[] {
    const hash = this.hash === undefined ? [] : ['--hash-type', this.hash]
    return ['--files-only', '--no-mimetype', '--no-modtime', ...hash]
  }

  #listing(output: string, prefix: string): Map<string, RemoteFile> {
    const files = new Map<string, RemoteFile>()
    for (const entry of JSON.parse(output) as {
      Path: string
      Size: number
      Hashes?: Record<string, string>
    }[]) {
      const hash = this.hash === undefined ? undefined : entry.Hashes?.[this.hash]
      files.set(`${prefix}${entry.Path}`, { size: entry.Size, ...(hash ? { hash } : {}) })
    }
    return files
  }

  async #withList(paths: string[], run: (list: string) => Promise<RunResult>): Promise<RunResult> {
    const list = join(this.#init.scratch, `.tmp-files-${process.pid}-${Math.random().toString(36).slice(2)}`)
    await writeFile(list, `${paths.join('\n')}\n`)
    try {
      return await run(list)
    } finally {
      await rm(list, { force: true })
    }
  }

  #rclone(args: string[], opts: { signal?: AbortSignal | undefined }): Promise<RunResult> {
    // stdout as bytes: listings are JSON on stdout, kept apart from rclone's log lines on stderr.
    return runProgram(RCLONE, args, {
      stdout: 'bytes',
      maxOutput: MAX_LISTING,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    })
  }

  /** rclone's own last words, on one line, with the remote's secrets (it prints connection strings) taken out. */
  #why(result: RunResult): string {
    if (result.aborted) return 'stopped'
    const lines = result.output
      .split('\n')
      .map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '').trim())
      .filter((l) => l !== '' && !/^(Transferred|Errors|Checks|Elapsed time|Deleted):/.test(l))
    const last = lines.slice(-2).join(' | ') || `exit ${result.exitCode ?? result.signal}`
    return this.#init.redact(last.length > 400 ? `${last.slice(0, 400)}...` : last)
  }
}
