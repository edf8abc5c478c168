import { copyFile, link, mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Entry } from '../../ledger/index.ts'
import { FarmError } from '../errors.ts'
import type { FarmNode } from '../node.ts'
import { announcementOf, type CaptureAnnouncement, capturesInLedger } from './capture-entries.ts'
import { answerCaptureHave } from './capture-have.ts'
import { sha256OfFile } from './file-hash.ts'

export type BackupLog = (level: 'info' | 'warn' | 'error', message: string) => void

export interface BackupOptions {
  log?: BackupLog
  /** How often frames that no connected peer could give are asked for again (a peer joining also retries). */
  retryMs?: number
  /** Per frame fetch. */
  fetchTimeoutMs?: number
}

export interface Backup {
  readonly dir: string
  /** Frames announced and not copied yet (waiting for a peer that has them, or being fetched). */
  pending(): number
  /** Resolves once nothing is being fetched (frames waiting for a peer may remain). */
  idle(): Promise<void>
  stop(): Promise<void>
}

const RETRY_MS = 30_000
const FETCH_TIMEOUT_MS = 120_000
const CONCURRENT_FETCHES = 2

/**
 * Keeps a copy of every frame other nodes announce with `capture` entries, in
 * `dir/<node name>/frames/<day>/<HHmmss>.jpg`, the frame layout `farm capture` writes, so
 * copying a node's folder back into a capture directory restores its frames. On start it
 * catches up from the whole ledger, then follows new entries. A frame no connected peer can
 * give waits and is asked for again when a peer joins and every `retryMs`. Answers
 * /farm/capture-have/1 so `farm capture verify --peers` on the announcer can see the copies.
 */
export async function startBackup(node: FarmNode, dir: string, opts: BackupOptions = {}): Promise<Backup> {
  const backup = new CaptureBackup(node, dir, opts)
  await backup.start()
  return backup
}

class CaptureBackup implements Backup {
  readonly dir: string
  private readonly node: FarmNode
  private readonly log: BackupLog
  private readonly opts: BackupOptions
  /** hash -> the frame whose backup copy it is (or will be). */
  private readonly copies = new Map<string, CaptureAnnouncement>()
  private readonly waiting = new Map<string, CaptureAnnouncement>()
  private readonly queue: CaptureAnnouncement[] = []
  /** Frames queued or being copied: the catch-up and the live entries may name a frame twice. */
  private readonly queued = new Set<string>()
  private readonly folders = new Map<string, string>()
  private readonly warned = new Set<string>()
  private running = 0
  private idlers: (() => void)[] = []
  private stopped = false
  private timer: NodeJS.Timeout | undefined
  private unfollow: (() => void) | undefined
  private readonly onNodeEvent: (event: { type: string }) => void

  constructor(node: FarmNode, dir: string, opts: BackupOptions) {
    this.node = node
    this.dir = dir
    this.opts = opts
    this.log = opts.log ?? (() => {})
    this.onNodeEvent = (event) => {
      if (event.type === 'peer:joined') this.retry()
    }
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    await answerCaptureHave(this.node.swarm, (hash) => this.holds(hash))
    this.unfollow = this.node.ledger.onEntries((entries: Entry[]) => {
      for (const entry of entries) {
        const announcement = announcementOf(entry)
        if (announcement !== undefined && announcement.author !== this.node.ledger.author)
          this.enqueue(announcement)
      }
    })
    this.node.on('event', this.onNodeEvent)
    this.timer = setInterval(() => this.retry(), this.opts.retryMs ?? RETRY_MS)
    this.timer.unref()
    let found = 0
    for await (const announcement of capturesInLedger(this.node.ledger, 'others')) {
      this.enqueue(announcement)
      found++
    }
    this.log(
      'info',
      `backing up the captures of other nodes into ${this.dir}: ${found} frames announced so far`,
    )
  }

  pending(): number {
    return this.waiting.size + this.queue.length + this.running
  }

  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve()
    return new Promise((resolve) => this.idlers.push(resolve))
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    this.unfollow?.()
    this.node.off('event', this.onNodeEvent)
    for (const dropped of this.queue.splice(0)) this.queued.delete(frameKey(dropped))
    await this.idle()
  }

  private async holds(hash: string): Promise<boolean> {
    const frame = this.copies.get(hash)
    if (frame === undefined) return false
    const info = await stat(this.pathOf(frame)).catch(() => undefined)
    return info?.isFile() === true && (frame.bytes === undefined || info.size === frame.bytes)
  }

  private enqueue(announcement: CaptureAnnouncement): void {
    if (this.stopped || this.queued.has(frameKey(announcement))) return
    this.copies.set(announcement.hash, announcement)
    this.queued.add(frameKey(announcement))
    this.queue.push(announcement)
    this.pump()
  }

  private retry(): void {
    const again = [...this.waiting.values()]
    this.waiting.clear()
    for (const announcement of again) this.enqueue(announcement)
  }

  private pump(): void {
    while (this.running < CONCURRENT_FETCHES && this.queue.length > 0) {
      const announcement = this.queue.shift()!
      this.running++
      void this.copy(announcement).finally(() => {
        this.queued.delete(frameKey(announcement))
        this.running--
        this.pump()
        if (this.running === 0 && this.queue.length === 0)
          for (const resolve of this.idlers.splice(0)) resolve()
      })
    }
  }

  private async copy(a: CaptureAnnouncement): Promise<void> {
    const target = this.pathOf(a)
    const shown = target.slice(this.dir.length + 1)
    const existing = await stat(target).catch(() => undefined)
    // A copy is only ever renamed into place whole and verified, so its size tells it apart from a stale one.
    if (existing?.isFile() && (a.bytes === undefined || existing.size === a.bytes)) {
      if (a.bytes !== undefined || (await sha256OfFile(target)) === a.hash) return
    }
    try {
      const blob = await this.fetch(a)
      await writeVerifiedCopy(blob, target, a.hash)
      this.warned.delete(a.hash)
      this.log('info', `backed up ${shown}`)
    } catch (err) {
      if (this.stopped) return
      this.waiting.set(frameKey(a), a)
      if (!this.warned.has(a.hash)) {
        this.warned.add(a.hash)
        this.log(
          'warn',
          `could not back up ${shown} yet (${(err as Error).message}): will retry when a peer joins`,
        )
      }
    }
  }

  /** From the announcer when it is connected, else from any connected peer that has it. */
  private async fetch(a: CaptureAnnouncement): Promise<string> {
    const swarm = this.node.swarm
    const signal = AbortSignal.timeout(this.opts.fetchTimeoutMs ?? FETCH_TIMEOUT_MS)
    if (swarm.peers().some((p) => p.id === a.author)) {
      try {
        return await swarm.fetchBlob(a.hash, { from: a.author, signal })
      } catch (err) {
        if (signal.aborted) throw err
      }
    }
    return swarm.fetchBlob(a.hash, { signal })
  }

  private pathOf(a: CaptureAnnouncement): string {
    return join(this.dir, this.folderOf(a.author), 'frames', a.day, `${a.time}.jpg`)
  }

  /**
   * The node's name as its `node` entry gives it, made safe for a path; two nodes of one name
   * get their peer id's tail too. Fixed for the process's life, so a rename does not split a day.
   */
  private folderOf(author: string): string {
    const known = this.folders.get(author)
    if (known !== undefined) return known
    const nodes = this.node.ledger.state().nodes
    const safe = (name: string | undefined) =>
      name === undefined
        ? undefined
        : name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || undefined
    const name = safe(nodes[author]?.name)
    const shared = Object.keys(nodes).some((id) => id !== author && safe(nodes[id]?.name) === name)
    const folder = name === undefined ? author : shared ? `${name}-${author.slice(-8)}` : name
    this.folders.set(author, folder)
    return folder
  }
}

function frameKey(a: CaptureAnnouncement): string {
  return `${a.author}/${a.day}/${a.time}/${a.hash}`
}

/**
 * Links (or copies, across file systems) the verified blob to a temp name beside the target,
 * checks its hash again, syncs and renames: the target is never a partial or wrong frame.
 */
async function writeVerifiedCopy(blob: string, target: string, hash: string): Promise<void> {
  const folder = join(target, '..')
  await mkdir(folder, { recursive: true })
  const temp = join(folder, `.tmp-backup-${process.pid}-${hash.slice(0, 16)}.jpg`)
  await rm(temp, { force: true })
  try {
    await link(blob, temp).catch(() => copyFile(blob, temp))
    const got = await sha256OfFile(temp)
    if (got !== hash) throw FarmError.HASH_MISMATCH('the copy', got, hash, 'the blob')
    const handle = await open(temp, 'r')
    await handle.sync().finally(() => handle.close())
    await rename(temp, target)
    // Renaming one hard link over another of the same file is a no-op that leaves the temp name.
    await rm(temp, { force: true })
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
