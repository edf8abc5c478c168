import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, symlink } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { RenderError } from '../errors.ts'
import { frameOfFileName, type Size } from '../frames.ts'
import { saysDiskFull, tailLines } from '../output.ts'
import { checkFrame } from '../pixels.ts'
import { runFfmpeg } from './run.ts'

export type VideoFormat = 'mp4' | 'webm' | 'gif'

export interface StitchOptions {
  /** Frame images in playback order. */
  frames: string[]
  fps: number
  /** The video to write; its extension picks the format (.mp4, .webm or .gif). */
  out: string
  /** Constant rate factor: lower is better and bigger. Default 18 for H.264, 32 for VP9. */
  crf?: number
  signal?: AbortSignal
}

export function videoFormatOf(out: string): VideoFormat {
  const ext = extname(out).toLowerCase().slice(1)
  if (ext === 'mp4' || ext === 'webm' || ext === 'gif') return ext
  throw RenderError.BAD_VIDEO_FORMAT(out)
}

/** yuv420p halves chroma in both directions, so H.264 and VP9 need even sides. */
const EVEN = 'scale=trunc(iw/2)*2:trunc(ih/2)*2'

function outputOptions(format: VideoFormat, fps: number, crf: number | undefined): string[] {
  switch (format) {
    case 'mp4':
      return [
        '-vf',
        EVEN,
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-crf',
        String(crf ?? 18),
        '-movflags',
        '+faststart',
      ]
    case 'webm':
      return [
        '-vf',
        EVEN,
        '-c:v',
        'libvpx-vp9',
        '-pix_fmt',
        'yuv420p',
        '-crf',
        String(crf ?? 32),
        '-b:v',
        '0',
      ]
    case 'gif':
      return ['-filter_complex', `fps=${fps},split[a][b];[a]palettegen[p];[b][p]paletteuse`]
  }
}

/**
 * Encodes frames into a video. Refuses when any frame is missing or does not decode, naming
 * them. Writes to a temporary name beside `out` and renames, so `out` is whole or absent.
 */
export async function stitchVideo(opts: StitchOptions): Promise<void> {
  const format = videoFormatOf(opts.out)
  if (!(opts.fps > 0 && opts.fps <= 240)) {
    throw RenderError.BAD_FPS(opts.fps)
  }
  if (opts.frames.length === 0) throw RenderError.NO_FRAMES('stitch')
  await checkAllFrames(opts.frames)
  const out = resolve(opts.out)
  const scratch = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}`)
  const partial = `${scratch}${extname(out)}`
  try {
    await mkdir(scratch, { recursive: true })
    // image2 wants one numbered pattern; links give it one whatever the frames are called.
    await Promise.all(
      opts.frames.map((file, i) =>
        symlink(resolve(file), join(scratch, `${String(i).padStart(6, '0')}.png`)),
      ),
    )
    await encode(join(scratch, '%06d.png'), partial, format, opts)
    await rename(partial, out)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw RenderError.DISK_FULL(out)
    throw err
  } finally {
    await rm(scratch, { recursive: true, force: true })
    await rm(partial, { force: true })
  }
}

async function checkAllFrames(frames: string[]): Promise<void> {
  const bad: string[] = []
  let size: Size | undefined
  for (const file of frames) {
    try {
      const check = await checkFrame(file, size)
      size ??= { width: check.width, height: check.height }
    } catch {
      bad.push(file)
    }
  }
  if (bad.length === 0) return
  const numbers = bad.map((file) => frameOfFileName(basename(file)))
  throw RenderError.FRAMES_MISSING(numbers.every((n) => n !== undefined) ? (numbers as number[]) : bad)
}

/** ffmpeg's last lines in a failed stitch's message: with errors-only output, these are its errors. */
const STITCH_TAIL_LINES = 8

async function encode(
  pattern: string,
  partial: string,
  format: VideoFormat,
  opts: StitchOptions,
): Promise<void> {
  const args = [
    '-framerate',
    String(opts.fps),
    '-start_number',
    '0',
    '-i',
    pattern,
    '-y',
    ...outputOptions(format, opts.fps, opts.crf),
    '-r',
    String(opts.fps),
    partial,
  ]
  const result = await runFfmpeg(args, opts.signal ? { signal: opts.signal } : {})
  // ffmpeg exits 0 when only writing the trailer fails (a full disk at the last moment),
  // leaving a truncated file: its own report decides.
  if (saysDiskFull(result.output)) throw RenderError.DISK_FULL(opts.out)
  if (!result.ok || /Error writing trailer|Error closing file/.test(result.output)) {
    const said = tailLines(result.output, STITCH_TAIL_LINES) || result.tail || `exit ${result.exitCode}`
    throw RenderError.STITCH_FAILED(opts.out, said, result.command)
  }
}
