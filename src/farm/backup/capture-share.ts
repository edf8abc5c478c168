import { link, rm } from 'node:fs/promises'
import { FarmError } from '../errors.ts'
import type { FarmNode } from '../node.ts'
import { capturesInLedger } from './capture-entries.ts'
import { sha256OfFile } from './file-hash.ts'

/** A saved frame as `farm capture` recorded it in its day's manifest. */
export interface SharedFrame {
  day: string
  /** `HHmmss.jpg` */
  file: string
  sha256: string
  size: number
  width: number
  height: number
}

export type ShareLog = (level: 'info' | 'warn' | 'error', message: string) => void

export interface CaptureShareInit {
  node: FarmNode
  /** Where the frame file is, e.g. `<dir>/frames/<day>/<file>`. */
  pathOf: (frame: SharedFrame) => string
  /** The camera as the capture log names it. */
  source: string
  log?: ShareLog
}

/**
 * Offers each saved frame to the swarm: the image goes into the node's blob store (hard-linked
 * when it can be, so a Pi's card does not hold it twice) and a `capture` entry announces it.
 * Both are local writes; peers pick them up by gossip or at the next sync, so a network outage
 * only delays the backups. Announcements run one at a time, in order.
 */
export class CaptureShare {
  readonly node: FarmNode
  private readonly init: CaptureShareInit
  private readonly log: ShareLog
  private last: Promise<unknown> = Promise.resolve()

  constructor(init: CaptureShareInit) {
    this.init = init
    this.node = init.node
    this.log = init.log ?? (() => {})
  }

  /** Announces a frame; never throws (a failure is logged and the frame offered again by `catchUp`). */
  announce(frame: SharedFrame): Promise<boolean> {
    const next = this.last.then(() =>
      this.announceNow(frame).then(
        () => true,
        (err: Error) => {
          this.log('error', `frames/${frame.day}/${frame.file} not shared: ${err.message}`)
          return false
        },
      ),
    )
    this.last = next
    return next
  }

  /**
   * Announces the frames this node's feed does not name yet: those saved before `--share` was
   * given, or while a disk error stopped an announcement. Returns how many it announced.
   */
  async catchUp(frames: SharedFrame[]): Promise<number> {
    const announced = new Set<string>()
    for await (const a of capturesInLedger(this.node.ledger, 'mine'))
      announced.add(`${a.day}/${a.time}/${a.hash}`)
    let count = 0
    for (const frame of frames) {
      if (announced.has(`${frame.day}/${timeOf(frame)}/${frame.sha256}`)) continue
      if (await this.announce(frame)) count++
    }
    return count
  }

  /**
   * Drops the blob store's copies of frames `--keep-days` pruned: they are hard links to the
   * frames, so keeping them would keep the card as full as before. The backups hold the frames.
   */
  async forget(frames: SharedFrame[]): Promise<void> {
    await this.last
    for (const frame of frames) await rm(this.node.blobs.path(frame.sha256), { force: true })
  }

  private async announceNow(frame: SharedFrame): Promise<void> {
    await this.store(this.init.pathOf(frame), frame.sha256)
    await this.node.ledger.append('capture', {
      day: frame.day,
      time: timeOf(frame),
      file: frame.sha256,
      bytes: frame.size,
      width: frame.width,
      height: frame.height,
      source: this.init.source.slice(0, 256),
    })
  }

  /** Puts the frame in the blob store under its hash, refusing a file that no longer matches its manifest. */
  private async store(path: string, sha256: string): Promise<void> {
    const blobs = this.node.blobs
    if (await blobs.has(sha256)) return
    const temp = await blobs.tempFile()
    try {
      await link(path, temp)
    } catch {
      const hash = await blobs.put(path)
      if (hash !== sha256) throw FarmError.HASH_MISMATCH(path, hash, sha256, 'its manifest')
      return
    }
    try {
      const got = await sha256OfFile(temp)
      if (got !== sha256) throw FarmError.HASH_MISMATCH(path, got, sha256, 'its manifest')
      await blobs.adopt(temp, sha256)
    } finally {
      await rm(temp, { force: true })
    }
  }
}

function timeOf(frame: SharedFrame): string {
  return frame.file.slice(0, 6)
}
