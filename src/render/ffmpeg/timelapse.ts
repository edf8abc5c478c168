import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ffmpegOutput } from './run.ts'

/** H.264 that any browser plays; veryfast and 2 threads keep a Pi responsive while it encodes. */
export const TIMELAPSE_ENCODER = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-threads', '2']

export interface TimelapseEncode {
  /** JPEG frames in playback order, one video frame each. */
  frames: string[]
  size: { width: number; height: number }
  fps: number
  out: string
  timeoutMs: number
}

/**
 * The JPEGs on stdin, scaled to the first frame's size so a camera that changed resolution
 * mid-day does not break the day's video, then H.264.
 */
function encodeArgs(opts: TimelapseEncode): string[] {
  const width = Math.max(2, opts.size.width - (opts.size.width % 2))
  const height = Math.max(2, opts.size.height - (opts.size.height % 2))
  return [
    '-f',
    'image2pipe',
    '-framerate',
    String(opts.fps),
    '-c:v',
    'mjpeg',
    '-i',
    'pipe:0',
    '-vf',
    `scale=${width}:${height},format=yuv420p`,
    ...TIMELAPSE_ENCODER,
  ]
}

/** Encodes the frames into an MP4 that starts playing before it has fully loaded (faststart). */
export async function encodeTimelapse(opts: TimelapseEncode): Promise<void> {
  await ffmpegOutput([...encodeArgs(opts), '-movflags', '+faststart', '-f', 'mp4', '-y', opts.out], {
    what: `encode the timelapse ${opts.out}`,
    input: filesInOrder(opts.frames),
    timeoutMs: opts.timeoutMs,
  })
}

/**
 * One segment of a live timelapse: MPEG-TS, because it carries each frame's timestamps (a raw
 * H.264 stream loses the B-frame order when remuxed) and segments made with the same settings
 * join by stream copy. Each segment starts with a keyframe, so it decodes on its own.
 */
export async function encodeTimelapseSegment(opts: TimelapseEncode): Promise<void> {
  await ffmpegOutput([...encodeArgs(opts), '-f', 'mpegts', '-y', opts.out], {
    what: `encode the timelapse segment ${opts.out}`,
    input: filesInOrder(opts.frames),
    timeoutMs: opts.timeoutMs,
  })
}

// The concat demuxer's list syntax: a path inside single quotes, each quote closed, escaped, reopened.
function listLine(path: string): string {
  return `file 'file:${resolve(path).replaceAll("'", "'\\''")}'\n`
}

/** Joins segments from encodeTimelapseSegment into one faststart MP4, copying the stream: no re-encode. */
export async function joinTimelapseSegments(opts: {
  segments: string[]
  out: string
  timeoutMs: number
}): Promise<void> {
  await ffmpegOutput(
    [
      // The list arrives on stdin; the files it names are read from disk.
      '-protocol_whitelist',
      'file,pipe',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      'pipe:0',
      '-c',
      'copy',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '-y',
      opts.out,
    ],
    {
      what: `join the timelapse segments into ${opts.out}`,
      input: new TextEncoder().encode(opts.segments.map(listLine).join('')),
      timeoutMs: opts.timeoutMs,
    },
  )
}

async function* filesInOrder(files: string[]): AsyncIterable<Uint8Array> {
  for (const file of files) yield await readFile(file)
}
