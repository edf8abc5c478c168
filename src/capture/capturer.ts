import { createHash } from 'node:crypto'
import { copyFile, mkdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { thumbnailAndBrightness, toJpeg } from '../render/index.ts'
import { localMoment } from './days.ts'
import { CaptureError } from './errors.ts'
import type { CaptureEvent } from './events.ts'
import { isPng, readJpegInfo } from './jpeg.ts'
import {
  FRAME_FILE,
  frameDays,
  framePath,
  framesDir,
  listNames,
  posterPath,
  thumbPath,
  timelapsePath,
} from './layout.ts'
import {
  type DayManifest,
  emptyManifest,
  type FrameRecord,
  type MissRecord,
  readManifest,
  TEMP_PREFIX,
  tempPathFor,
  withFrame,
  withMiss,
  writeFileAtomic,
  writeManifest,
} from './manifest.ts'
import { daysToPrune } from './prune.ts'
import type { Grab } from './sources.ts'
import { isDaylight, type Place } from './sun.ts'
import { buildDayTimelapse } from './timelapse/day.ts'

export type LogLevel = 'info' | 'warn' | 'error'
export type CaptureLog = (level: LogLevel, message: string) => void

export interface CapturerInit {
  /** The capture directory: frames/, thumbs/, timelapse/ below it. */
  dir: string
  grab: Grab
  /** The source as logs name it. */
  sourceName: string
  /** IANA zone whose local date names day folders. */
  timeZone: string
  fps?: number
  thumbWidth?: number
  /** Mean luma (0-255) under which a frame is dropped as too dark; off when undefined. */
  skipDarkBelow?: number
  /** Capture only between sunrise and sunset here; always when undefined. */
  daylight?: Place
  /** Remove the frames of days more than this many days old (the timelapses stay). */
  keepDays?: number
  /** Refuse to write frames while less than this many MB are free. */
  minFreeMb?: number
  /** Per camera grab and per ffmpeg step. */
  timeoutMs?: number
  now?: () => Date
  log?: CaptureLog
  /** Called once a frame is saved and recorded, before the timelapse is rebuilt (`--share` offers it to the swarm). */
  onSaved?: (day: string, frame: FrameRecord) => Promise<void>
  /** Called once `--keep-days` removed a day's frames (`--share` drops its copies of them too). */
  onPruned?: (day: string, frames: FrameRecord[]) => Promise<void>
  /** Asked before `--keep-days` removes a day's frames: false keeps them (not yet on the backup remote). */
  mayPrune?: (day: string) => Promise<boolean>
  /** Every event of the capture (see events.ts), as it happens; must not throw or wait. */
  onEvent?: (event: CaptureEvent) => void
}

export type TickOutcome =
  | { status: 'saved'; day: string; frame: FrameRecord }
  | { status: 'missed'; day: string; miss: MissRecord }
  | { status: 'night' }
  | { status: 'busy' }

const DEFAULT_FPS = 24
const DEFAULT_THUMB_WIDTH = 320
const DEFAULT_TIMEOUT_MS = 30_000

/**
 * Takes a frame on each tick and keeps the capture directory consistent: a frame is recorded
 * only once its file is whole, a failure is recorded instead of thrown, and anything a crash
 * left half done is tidied by `recover()`.
 */
export class Capturer {
  readonly dir: string
  readonly timeZone: string
  readonly fps: number
  readonly #init: CapturerInit
  readonly #now: () => Date
  readonly #log: CaptureLog
  readonly #timeoutMs: number
  readonly #finalised = new Set<string>()
  #busy = false

  constructor(init: CapturerInit) {
    this.#init = init
    this.dir = init.dir
    this.timeZone = init.timeZone
    this.fps = init.fps ?? DEFAULT_FPS
    this.#now = init.now ?? (() => new Date())
    this.#log = init.log ?? (() => {})
    this.#timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  /** After a crash or restart: drop temp files, finish days that ended while the process was down. */
  async recover(): Promise<void> {
    await mkdir(join(this.dir, 'timelapse'), { recursive: true })
    const days = await frameDays(this.dir)
    const folders = [
      join(this.dir, 'timelapse'),
      ...days.flatMap((d) => [framesDir(this.dir, d), join(this.dir, 'thumbs', d)]),
    ]
    for (const folder of folders) {
      for (const name of await listNames(folder)) {
        if (name.startsWith(TEMP_PREFIX)) await rm(join(folder, name), { force: true })
      }
    }
    for (const day of days) {
      await this.#recordUnrecorded(day).catch((err: unknown) => {
        this.#log('error', `could not check ${day} for unrecorded frames: ${errorMessage(err)}`)
      })
    }
    await this.#finishPastDays(localMoment(this.#now(), this.timeZone).day)
  }

  /**
   * A crash between saving a frame and recording it leaves a whole frame (it was synced before
   * its rename) that no manifest names: record it, so a restart ends up as if nothing happened.
   */
  async #recordUnrecorded(day: string): Promise<void> {
    const manifest = await readManifest(this.dir, day)
    if (manifest?.pruned) return
    const recorded = new Set(manifest?.frames.map((f) => f.file))
    const found = (await listNames(framesDir(this.dir, day))).filter(
      (n) => FRAME_FILE.test(n) && !recorded.has(n),
    )
    if (found.length === 0) return
    let updated = manifest ?? emptyManifest(day, this.timeZone)
    await mkdir(join(this.dir, 'thumbs', day), { recursive: true })
    for (const file of found) {
      const path = framePath(this.dir, day, file)
      const jpeg = await readFile(path)
      const info = readJpegInfo(jpeg)
      if (info === undefined) {
        this.#log(
          'warn',
          `frames/${day}/${file} is in no manifest and not a complete JPEG: left for you to inspect`,
        )
        continue
      }
      const thumb = thumbPath(this.dir, day, file)
      const temp = tempPathFor(thumb)
      const brightness = await thumbnailAndBrightness(
        jpeg,
        temp,
        this.#init.thumbWidth ?? DEFAULT_THUMB_WIDTH,
        this.#timeoutMs,
      )
      await rename(temp, thumb)
      updated = withFrame(updated, frameRecord((await stat(path)).mtime, file, jpeg, info, brightness))
      this.#log('info', `recorded frames/${day}/${file}, saved just before the last stop`)
    }
    await writeManifest(this.dir, updated)
    await this.rebuild(day)
  }

  /** One scheduled capture. Never throws: every failure is logged and recorded in the day's manifest. */
  async tick(): Promise<TickOutcome> {
    if (this.#busy) {
      this.#log('warn', 'previous capture still running: this tick is skipped')
      return { status: 'busy' }
    }
    this.#busy = true
    try {
      return await this.#tick()
    } finally {
      this.#busy = false
    }
  }

  async #tick(): Promise<TickOutcome> {
    const at = this.#now()
    const { day, time } = localMoment(at, this.timeZone)
    // Before the daylight check: the night is when yesterday gets finalised and old days pruned.
    await this.#housekeeping(day)
    if (this.#init.daylight !== undefined && !isDaylight(at, this.#init.daylight)) {
      this.#log('info', 'sun is down at --daylight place: no capture')
      return { status: 'night' }
    }
    const miss = (reason: MissRecord['reason'], message: string) =>
      this.#recordMiss(day, { time: at.toISOString(), reason, message })
    try {
      await this.#checkFreeSpace()
    } catch (err) {
      return miss('low-disk', errorMessage(err))
    }
    let jpeg: Uint8Array
    let info: { width: number; height: number } | undefined
    try {
      const label = `${day} ${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4)} ${this.timeZone}`
      jpeg = await this.#init.grab(at, label)
      if (isPng(jpeg)) jpeg = await toJpeg(jpeg, this.#timeoutMs)
      info = readJpegInfo(jpeg)
      if (info === undefined) {
        throw CaptureError.NOT_AN_IMAGE(
          this.#init.sourceName,
          `${jpeg.length} bytes that are not a complete JPEG or PNG`,
        )
      }
    } catch (err) {
      return miss('error', errorMessage(err))
    }
    const file = `${time}.jpg`
    const thumb = thumbPath(this.dir, day, file)
    await mkdir(join(this.dir, 'thumbs', day), { recursive: true })
    const thumbTemp = tempPathFor(thumb)
    let brightness: number
    try {
      brightness = await thumbnailAndBrightness(
        jpeg,
        thumbTemp,
        this.#init.thumbWidth ?? DEFAULT_THUMB_WIDTH,
        this.#timeoutMs,
      )
    } catch (err) {
      await rm(thumbTemp, { force: true })
      return miss('error', errorMessage(CaptureError.NOT_AN_IMAGE(this.#init.sourceName, errorMessage(err))))
    }
    const darkBelow = this.#init.skipDarkBelow
    if (darkBelow !== undefined && brightness < darkBelow) {
      await rm(thumbTemp, { force: true })
      return miss(
        'dark',
        `mean brightness ${brightness.toFixed(1)} is under --skip-dark level ${darkBelow.toFixed(1)}`,
      )
    }
    const frame = frameRecord(at, file, jpeg, info, brightness)
    try {
      await writeFileAtomic(framePath(this.dir, day, file), jpeg)
      await rename(thumbTemp, thumb)
      await writeManifest(this.dir, withFrame(await this.#manifest(day), frame))
    } catch (err) {
      await rm(thumbTemp, { force: true })
      this.#log('error', `could not save frame ${day}/${file}: ${errorMessage(err)}`)
      return miss('error', `could not save the frame: ${errorMessage(err)}`)
    }
    this.#log('info', `saved frames/${day}/${file} (${frame.width}x${frame.height}, ${frame.size} bytes)`)
    this.#emit({
      type: 'frame:saved',
      ts: this.#now().getTime(),
      day,
      ...frame,
      path: framePath(this.dir, day, file),
      thumb,
    })
    await this.#init.onSaved?.(day, frame).catch((err: unknown) => {
      this.#log('error', `frames/${day}/${file} saved, but: ${errorMessage(err)}`)
    })
    try {
      await this.rebuild(day)
    } catch (err) {
      this.#log(
        'error',
        `timelapse ${day} not rebuilt, will retry after the next capture: ${errorMessage(err)}`,
      )
    }
    return { status: 'saved', day, frame }
  }

  /**
   * Rebuilds a day's timelapse from its recorded frames still on disk; returns how many frames
   * it holds (0: nothing written). Today's grows by its last segment (timelapse/day.ts); a day
   * that is over is encoded whole.
   */
  async rebuild(day: string): Promise<number> {
    const manifest = await this.#manifest(day)
    if (manifest.pruned || manifest.frames.length === 0) return 0
    const today = localMoment(this.#now(), this.timeZone).day
    await buildDayTimelapse({
      dir: this.dir,
      day,
      frames: manifest.frames,
      fps: this.fps,
      timeoutMs: this.#timeoutMs,
      live: !manifest.final && day >= today,
    })
    const poster = await this.#writePoster(day, manifest.frames[Math.floor(manifest.frames.length / 2)]!.file)
    this.#emit({
      type: 'timelapse:rebuilt',
      ts: this.#now().getTime(),
      day,
      frames: manifest.frames.length,
      path: timelapsePath(this.dir, day),
      ...(poster ? { poster: posterPath(this.dir, day) } : {}),
    })
    return manifest.frames.length
  }

  /** The day's picture in the viewer: the middle frame's thumbnail, if thumbnails were kept (then true). */
  async #writePoster(day: string, file: string): Promise<boolean> {
    const poster = posterPath(this.dir, day)
    const temp = tempPathFor(poster)
    try {
      await copyFile(thumbPath(this.dir, day, file), temp)
      await rename(temp, poster)
      return true
    } catch (err) {
      await rm(temp, { force: true })
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      return false
    }
  }

  async #housekeeping(today: string): Promise<void> {
    try {
      await this.#finishPastDays(today)
      if (this.#init.keepDays !== undefined) await this.#prune(today, this.#init.keepDays)
    } catch (err) {
      this.#log('error', `housekeeping failed, captures go on: ${errorMessage(err)}`)
    }
  }

  /** The midnight rollover: a day is finalised by the first tick (or restart) after it ended. */
  async #finishPastDays(today: string): Promise<void> {
    for (const day of await frameDays(this.dir)) {
      if (day >= today || this.#finalised.has(day)) continue
      const manifest = await readManifest(this.dir, day)
      if (manifest !== undefined && !manifest.final) {
        const frames = await this.rebuild(day)
        await writeManifest(this.dir, { ...manifest, final: true })
        this.#log('info', `day ${day} finalised: timelapse of ${frames} frames`)
        this.#emit({
          type: 'day:finalized',
          ts: this.#now().getTime(),
          day,
          frames,
          missed: manifest.missed.length,
          ...(frames > 0 ? { path: timelapsePath(this.dir, day) } : {}),
        })
      }
      this.#finalised.add(day)
    }
  }

  async #prune(today: string, keepDays: number): Promise<void> {
    for (const day of daysToPrune(await frameDays(this.dir), today, keepDays)) {
      const manifest = await readManifest(this.dir, day)
      if (manifest?.pruned) continue
      if (this.#init.mayPrune !== undefined && !(await this.#init.mayPrune(day))) continue
      for (const name of await listNames(framesDir(this.dir, day))) {
        if (FRAME_FILE.test(name)) await rm(framePath(this.dir, day, name), { force: true })
      }
      await rm(join(this.dir, 'thumbs', day), { recursive: true, force: true })
      if (manifest !== undefined) await writeManifest(this.dir, { ...manifest, pruned: true })
      this.#log('info', `pruned the frames of ${day} (--keep-days ${keepDays}); its timelapse stays`)
      this.#emit({ type: 'day:pruned', ts: this.#now().getTime(), day, frames: manifest?.frames.length ?? 0 })
      await this.#init.onPruned?.(day, manifest?.frames ?? []).catch((err: unknown) => {
        this.#log('error', `${day} pruned, but: ${errorMessage(err)}`)
      })
    }
  }

  async #checkFreeSpace(): Promise<void> {
    const minFreeMb = this.#init.minFreeMb
    if (minFreeMb === undefined) return
    const stats = await statfs(this.dir)
    const freeMb = Math.floor((stats.bavail * stats.bsize) / (1024 * 1024))
    if (freeMb < minFreeMb) throw CaptureError.LOW_DISK(this.dir, freeMb, minFreeMb)
  }

  async #manifest(day: string): Promise<DayManifest> {
    return (await readManifest(this.dir, day)) ?? emptyManifest(day, this.timeZone)
  }

  async #recordMiss(day: string, miss: MissRecord): Promise<TickOutcome> {
    this.#log(miss.reason === 'dark' ? 'info' : 'error', `no frame at ${miss.time}: ${miss.message}`)
    try {
      await writeManifest(this.dir, withMiss(await this.#manifest(day), miss))
    } catch (err) {
      this.#log('error', `could not record the missed capture in ${day}'s manifest: ${errorMessage(err)}`)
    }
    this.#emit({ type: 'frame:missed', ts: this.#now().getTime(), day, ...miss })
    return { status: 'missed', day, miss }
  }

  /** A listener's failure is its own: the capture goes on whatever it does. */
  #emit(event: CaptureEvent): void {
    try {
      this.#init.onEvent?.(event)
    } catch (err) {
      this.#log('error', `${event.type} listener failed: ${errorMessage(err)}`)
    }
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function frameRecord(
  at: Date,
  file: string,
  jpeg: Uint8Array,
  info: { width: number; height: number },
  brightness: number,
): FrameRecord {
  return {
    time: at.toISOString(),
    file,
    sha256: createHash('sha256').update(jpeg).digest('hex'),
    size: jpeg.length,
    width: info.width,
    height: info.height,
    brightness: Math.round(brightness * 10) / 10,
  }
}
