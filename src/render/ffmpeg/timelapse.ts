import { readFile } from 'node:fs/promises'
import { ffmpegOutput } from './run.ts'

/** H.264 that any browser plays; veryfast and 2 threads keep a Pi responsive while it encodes. */
export const TIMELAPSE_ENCODER = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-threads', '2']

/**
 * Encodes the frames, in order, one video frame each, into an MP4 that starts playing before it
 * has fully loaded (faststart). Frames are scaled to the first frame's size so a camera that
 * changed resolution mid-day does not break the day's video.
 */
export async function encodeTimelapse(opts: {
  frames: string[]
  size: { width: number; height: number }
  fps: number
  out: string
  timeoutMs: number
}): Promise<void> {
  const width = Math.max(2, opts.size.width - (opts.size.width % 2))
  const height = Math.max(2, opts.size.height - (opts.size.height % 2))
  await ffmpegOutput(
    [
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
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '-y',
      opts.out,
    ],
    { what: `encode the timelapse ${opts.out}`, input: filesInOrder(opts.frames), timeoutMs: opts.timeoutMs },
  )
}

async function* filesInOrder(files: string[]): AsyncIterable<Uint8Array> {
  for (const file of files) yield await readFile(file)
}
