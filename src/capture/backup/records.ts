import { createHash } from 'node:crypto'
import { appendFile, mkdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../manifest.ts'

/**
 * What farm confirmed is on the backup remote, kept in the capture directory under
 * `backup-remote/<id>/` (the id a hash of the remote's string): one journal per day
 * (`days/YYYY-MM-DD.jsonl`) of the files it uploaded and then saw on the remote with the same
 * size (and hash, where the remote has one). A line is
 * appended only after that check, so `--keep-days` can trust it; a torn last line after a power
 * cut is skipped, which at worst uploads a file again. A finished day whose every file was
 * confirmed gets `days/YYYY-MM-DD.complete` too: the records of the few files that may still
 * change (its manifest, video and picture), so a start checks those three, not thousands of
 * frames. Nothing here holds the remote's name in clear: a connection string may carry keys.
 */

export interface SentRecord {
  /** Below the capture directory, e.g. `frames/2026-11-21/143000.jpg`. */
  path: string
  size: number
  /** The local file's mtime when it was hashed: a file replaced since is not this one. */
  mtimeMs: number
  sha256: string
  /** The remote's own hash of it, when the remote keeps one other than sha256 (md5 on S3). */
  remoteHash?: string
}

type Line = SentRecord | { path: string; stale: true }

/** The day a file of the capture layout belongs to, or undefined for a path outside it. */
export function dayOfPath(path: string): string | undefined {
  const match =
    /^(?:frames|thumbs)\/(\d{4}-\d\d-\d\d)\/[^/]+$|^timelapse\/(\d{4}-\d\d-\d\d)\.(?:mp4|jpg)$/.exec(path)
  return match?.[1] ?? match?.[2]
}

/** Reads a day's journal: the last line about a path wins; a line that does not parse is skipped. */
export function foldRecords(text: string): Map<string, SentRecord> {
  const files = new Map<string, SentRecord>()
  for (const raw of text.split('\n')) {
    if (raw === '') continue
    let line: Line
    try {
      line = JSON.parse(raw)
    } catch {
      continue
    }
    if ('stale' in line) files.delete(line.path)
    else if (
      typeof line.path === 'string' &&
      typeof line.size === 'number' &&
      typeof line.sha256 === 'string'
    ) {
      files.set(line.path, line)
    }
  }
  return files
}

const STATE_DIR = 'backup-remote'

export class RemoteRecords {
  /** `backup-remote/<remote's id>/`: each remote its own records, what one holds says nothing of another. */
  readonly root: string
  readonly #days: string

  constructor(dir: string, remote: string) {
    this.root = join(dir, STATE_DIR, createHash('sha256').update(remote).digest('hex').slice(0, 16))
    this.#days = join(this.root, 'days')
  }

  async open(): Promise<void> {
    await mkdir(this.#days, { recursive: true })
  }

  /** Whether anything was ever sent to this remote from here (a verify of another remote writes nothing). */
  async known(): Promise<boolean> {
    return stat(this.#days).then(
      () => true,
      () => false,
    )
  }

  async read(day: string): Promise<Map<string, SentRecord>> {
    return foldRecords(await this.#text(`${day}.jsonl`))
  }

  /**
   * Records the day as complete: its journal rewritten with one line a file (it held one an
   * upload, a manifest's many), and its `.complete` with the records of the files that change.
   */
  async markComplete(day: string, files: Map<string, SentRecord>): Promise<void> {
    const lines = [...files.values()].map((r) => JSON.stringify(r))
    await writeFileAtomic(join(this.#days, `${day}.jsonl`), `${lines.join('\n')}\n`)
    const changeable = [...files.values()].filter(
      (r) => r.path.startsWith('timelapse/') || r.path.endsWith('/manifest.json'),
    )
    await writeFileAtomic(join(this.#days, `${day}.complete`), `${JSON.stringify(changeable)}\n`)
  }

  /** What markComplete kept of a complete day, undefined for a day that is not (or no longer) one. */
  async completeOf(day: string): Promise<SentRecord[] | undefined> {
    const text = await this.#text(`${day}.complete`)
    try {
      return text === '' ? undefined : (JSON.parse(text) as SentRecord[])
    } catch {
      return undefined
    }
  }

  async #text(name: string): Promise<string> {
    return readFile(join(this.#days, name), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return ''
      throw err
    })
  }

  async sent(records: SentRecord[]): Promise<void> {
    await this.#append(records.map((r) => ({ ...r })))
  }

  /** Forgets the records of these files, so they are sent again; their days are no longer complete. */
  async stale(paths: string[]): Promise<void> {
    await this.#append(paths.map((path) => ({ path, stale: true as const })))
    for (const day of new Set(paths.map(dayOfPath)))
      await rm(join(this.#days, `${day}.complete`), { force: true })
  }

  /** Asks a running capture to compare these days with the records again (`verify --remote` marked files stale). */
  async requestRescan(days: string[]): Promise<void> {
    if (days.length > 0) await appendFile(join(this.root, 'rescan'), `${days.join('\n')}\n`)
  }

  /** The days asked for by requestRescan since the last call. */
  async takeRescan(): Promise<string[]> {
    const file = join(this.root, 'rescan')
    const text = await readFile(file, 'utf8').catch(() => '')
    if (text === '') return []
    await rm(file, { force: true })
    return [...new Set(text.split('\n').filter((d) => dayOfPath(`frames/${d}/x`) === d))]
  }

  async #append(lines: (SentRecord | { path: string; stale: true })[]): Promise<void> {
    const byDay = new Map<string, string[]>()
    for (const line of lines) {
      const day = dayOfPath(line.path)
      if (day === undefined) continue
      byDay.set(day, [...(byDay.get(day) ?? []), JSON.stringify(line)])
    }
    for (const [day, text] of byDay)
      await appendFile(join(this.#days, `${day}.jsonl`), `${text.join('\n')}\n`)
  }
}
