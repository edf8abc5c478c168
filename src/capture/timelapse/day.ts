import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  encodeTimelapse,
  encodeTimelapseSegment,
  joinTimelapseSegments,
  TIMELAPSE_ENCODER,
} from '../../render/index.ts'
import { framePath, listNames, segmentsDir, timelapsePath } from '../layout.ts'
import { type FrameRecord, tempPathFor } from '../manifest.ts'
import { planSegments } from './segments.ts'

/**
 * Frames per live segment: the most a new frame re-encodes. Each segment starts with a
 * keyframe and its own rate control, so shorter ones cost size: on a day of 1,440 frames,
 * scripts/bench/timelapse-append.ts measured 24 frames at 2.7x the whole encode's size, 48 at
 * 1.8x, 240 at 1.0x, for appends 10x, 8x and 3.4x cheaper than re-encoding the day. The live
 * video only lasts until midnight, when the day is encoded whole.
 */
export const SEGMENT_FRAMES = 48

export interface DayTimelapse {
  dir: string
  day: string
  /** The day's recorded frames, in order, all on disk. */
  frames: FrameRecord[]
  fps: number
  /** Per ffmpeg step; each step adds its frames' share. */
  timeoutMs: number
  /**
   * A day still being captured: append to its segments instead of re-encoding it whole. A
   * finished day is encoded once from all its frames (the smallest file at the best quality)
   * and its segments are dropped.
   */
  live: boolean
  segmentFrames?: number
}

/** Writes timelapse/DAY.mp4 from the frames; a viewer keeps the old file until the new one is renamed over it. */
export async function buildDayTimelapse(opts: DayTimelapse): Promise<{ encoded: number }> {
  const first = opts.frames[0]
  if (first === undefined) return { encoded: 0 }
  const out = timelapsePath(opts.dir, opts.day)
  const temp = tempPathFor(out)
  await mkdir(join(opts.dir, 'timelapse'), { recursive: true })
  try {
    const encoded = opts.live ? await viaSegments(opts, temp) : await whole(opts, temp)
    await rename(temp, out)
    if (!opts.live) await rm(segmentsDir(opts.dir, opts.day), { recursive: true, force: true })
    return { encoded }
  } finally {
    await rm(temp, { force: true })
  }
}

function size(opts: DayTimelapse) {
  const first = opts.frames[0]!
  return { width: first.width, height: first.height }
}

async function whole(opts: DayTimelapse, out: string): Promise<number> {
  await encodeTimelapse({
    frames: opts.frames.map((f) => framePath(opts.dir, opts.day, f.file)),
    size: size(opts),
    fps: opts.fps,
    out,
    timeoutMs: opts.timeoutMs + opts.frames.length * 200,
  })
  return opts.frames.length
}

async function viaSegments(opts: DayTimelapse, out: string): Promise<number> {
  const { width, height } = size(opts)
  const settings = `${width}x${height}@${opts.fps} ${TIMELAPSE_ENCODER.join(' ')} mpegts`
  const plan = planSegments(opts.frames, { segmentFrames: opts.segmentFrames ?? SEGMENT_FRAMES, settings })
  const folder = segmentsDir(opts.dir, opts.day)
  await mkdir(folder, { recursive: true })
  const onDisk = new Set(await listNames(folder))
  let encoded = 0
  for (const segment of plan) {
    if (onDisk.has(segment.name)) continue
    const path = join(folder, segment.name)
    const temp = tempPathFor(path)
    try {
      await encodeTimelapseSegment({
        frames: segment.frames.map((f) => framePath(opts.dir, opts.day, f.file)),
        size: { width, height },
        fps: opts.fps,
        out: temp,
        timeoutMs: opts.timeoutMs + segment.frames.length * 200,
      })
      await rename(temp, path)
    } finally {
      await rm(temp, { force: true })
    }
    encoded += segment.frames.length
  }
  // Segments the plan no longer names (the old last one, a crash's temp files) are stale.
  const planned = new Set(plan.map((s) => s.name))
  for (const name of onDisk) if (!planned.has(name)) await rm(join(folder, name), { force: true })
  await joinTimelapseSegments({
    segments: plan.map((s) => join(folder, s.name)),
    out,
    timeoutMs: opts.timeoutMs + opts.frames.length * 5,
  })
  return encoded
}
