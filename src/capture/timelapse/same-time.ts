import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeTimelapse } from '../../render/index.ts'
import { isDay } from '../days.ts'
import { CaptureError } from '../errors.ts'
import { FRAME_FILE, frameDays, framePath } from '../layout.ts'
import { type FrameRecord, readManifest, tempPathFor, writeFileAtomic } from '../manifest.ts'

/**
 * "Same time every day": one frame per day, each the one taken nearest a chosen time of day,
 * as one video. Frame names are the capture's local time (HHmmss), so "12:00" means noon on
 * the camera's wall clock all year, summer time or not.
 */

/** A day whose frames are all further than this from the time gives no frame (a gap, not a wrong hour). */
export const SAME_TIME_WITHIN_MINUTES = 60
/** A month is 30 frames: at 10 a second it plays for 3 s, slow enough to watch the light change. */
export const SAME_TIME_FPS = 10

export interface Span {
  /** First and last day, YYYY-MM-DD, both included. */
  from: string
  to: string
  /** For the video's file name: 2026, 2026-11, or 2026-11-01_2026-12-15. */
  name: string
}

const SPAN_HELP = 'a year (2026), a month (2026-11) or two days (2026-11-01..2026-12-15)'

export function parseSpan(text: string): Span {
  const trimmed = text.trim()
  if (/^\d{4}$/.test(trimmed)) return { from: `${trimmed}-01-01`, to: `${trimmed}-12-31`, name: trimmed }
  const month = /^(\d{4})-(\d{2})$/.exec(trimmed)
  if (month !== null && isDay(`${trimmed}-01`)) {
    const length = new Date(Date.UTC(Number(month[1]), Number(month[2]), 0)).getUTCDate()
    return { from: `${trimmed}-01`, to: `${trimmed}-${length}`, name: trimmed }
  }
  const range = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(trimmed)
  if (range !== null && isDay(range[1]!) && isDay(range[2]!) && range[1]! <= range[2]!) {
    return { from: range[1]!, to: range[2]!, name: `${range[1]}_${range[2]}` }
  }
  throw CaptureError.BAD_OPTION('--span', text, SPAN_HELP)
}

/** HH:MM (24 h) as seconds after midnight. */
export function parseAt(text: string): { text: string; seconds: number } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim())
  if (match === null) throw CaptureError.BAD_OPTION('--at', text, 'a time of day as HH:MM, e.g. 12:00')
  return { text: `${match[1]}:${match[2]}`, seconds: Number(match[1]) * 3600 + Number(match[2]) * 60 }
}

function secondsOf(file: string): number | undefined {
  if (!FRAME_FILE.test(file)) return undefined
  return Number(file.slice(0, 2)) * 3600 + Number(file.slice(2, 4)) * 60 + Number(file.slice(4, 6))
}

export interface PickedFrame {
  day: string
  frame: FrameRecord
}

/**
 * Per day, the frame nearest `atSeconds` and within `withinSeconds` of it (the earlier on a
 * tie); days with frames but none near enough are `skipped`. Pure: the days come in, oldest first.
 */
export function pickSameTime(
  days: { day: string; frames: FrameRecord[] }[],
  atSeconds: number,
  withinSeconds: number,
): { picked: PickedFrame[]; skipped: string[] } {
  const picked: PickedFrame[] = []
  const skipped: string[] = []
  for (const { day, frames } of days) {
    let best: { frame: FrameRecord; distance: number } | undefined
    for (const frame of frames) {
      const seconds = secondsOf(frame.file)
      if (seconds === undefined) continue
      const distance = Math.abs(seconds - atSeconds)
      if (distance <= withinSeconds && (best === undefined || distance < best.distance))
        best = { frame, distance }
    }
    if (best !== undefined) picked.push({ day, frame: best.frame })
    else if (frames.length > 0) skipped.push(day)
  }
  return { picked, skipped }
}

export interface SameTimeResult {
  /** timelapse/same-time/SPAN-at-HHMM.mp4 */
  path: string
  /** The days that gave a frame, oldest first. */
  days: string[]
  skipped: string[]
  fps: number
  /** False when the video on disk was already made of these very frames. */
  built: boolean
}

const building = new Map<string, Promise<SameTimeResult>>()

/**
 * Builds (or reuses) the same-time video of `span` at `at`. A sidecar JSON beside the video
 * names the frames it holds; the video is re-encoded only when that choice changed. Two
 * requests for the same video share one encode.
 */
export function buildSameTime(opts: {
  dir: string
  span: string
  at: string
  fps?: number
  timeoutMs?: number
}): Promise<SameTimeResult> {
  const span = parseSpan(opts.span)
  const at = parseAt(opts.at)
  const fps = opts.fps ?? SAME_TIME_FPS
  const path = join(opts.dir, 'timelapse', 'same-time', `${span.name}-at-${at.text.replace(':', '')}.mp4`)
  const running = building.get(path)
  if (running !== undefined) return running
  const promise = build(opts.dir, span, at, fps, path, opts.timeoutMs ?? 30_000).finally(() =>
    building.delete(path),
  )
  building.set(path, promise)
  return promise
}

async function build(
  dir: string,
  span: Span,
  at: { text: string; seconds: number },
  fps: number,
  path: string,
  timeoutMs: number,
): Promise<SameTimeResult> {
  const days = []
  for (const day of await frameDays(dir)) {
    if (day < span.from || day > span.to) continue
    const manifest = await readManifest(dir, day).catch(() => undefined)
    if (manifest !== undefined && !manifest.pruned) days.push({ day, frames: manifest.frames })
  }
  const choice = pickSameTime(days, at.seconds, SAME_TIME_WITHIN_MINUTES * 60)
  const onDisk: PickedFrame[] = []
  for (const pick of choice.picked) {
    if (await stat(framePath(dir, pick.day, pick.frame.file)).catch(() => undefined)) onDisk.push(pick)
    else choice.skipped.push(pick.day)
  }
  const first = onDisk[0]
  if (first === undefined) throw CaptureError.NOTHING_NEAR(span.name, at.text, SAME_TIME_WITHIN_MINUTES)
  const result = {
    path,
    days: onDisk.map((p) => p.day),
    skipped: choice.skipped.sort(),
    fps,
  }
  const sidecar = path.replace(/\.mp4$/, '.json')
  const made = JSON.stringify({
    fps,
    frames: onDisk.map((p) => `${p.day}/${p.frame.file} ${p.frame.sha256}`),
  })
  const before = await readFile(sidecar, 'utf8').catch(() => undefined)
  if (before === made && (await stat(path).catch(() => undefined))) return { ...result, built: false }
  await mkdir(join(dir, 'timelapse', 'same-time'), { recursive: true })
  const temp = tempPathFor(path)
  try {
    await encodeTimelapse({
      frames: onDisk.map((p) => framePath(dir, p.day, p.frame.file)),
      size: { width: first.frame.width, height: first.frame.height },
      fps,
      out: temp,
      timeoutMs: timeoutMs + onDisk.length * 200,
    })
    await rename(temp, path)
  } finally {
    await rm(temp, { force: true })
  }
  await writeFileAtomic(sidecar, made)
  return { ...result, built: true }
}
