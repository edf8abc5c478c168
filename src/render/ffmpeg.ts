// The only module that touches fluent-ffmpeg: its repository was archived in 2025, so the rest
// of the project depends on stitchVideo, never on it.
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, symlink } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { installHint } from './detect.ts'
import { RenderError } from './errors.ts'
import { frameOfFileName, type Size } from './frames.ts'
import { saysDiskFull, tailLines } from './output.ts'
import { checkFrame } from './pixels.ts'

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
  throw new RenderError('BAD_VIDEO_FORMAT', `video ${out} must end in .mp4, .webm or .gif.`, 2)
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
    throw new RenderError('BAD_FPS', `fps ${opts.fps} is out of range: give a rate between 1 and 240.`, 2)
  }
  if (opts.frames.length === 0) throw new RenderError('NO_FRAMES', 'there are no frames to stitch.', 2)
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
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw RenderError.diskFull(out)
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
  throw RenderError.framesMissing(numbers.every((n) => n !== undefined) ? (numbers as number[]) : bad)
}

async function encode(
  pattern: string,
  partial: string,
  format: VideoFormat,
  opts: StitchOptions,
): Promise<void> {
  // Loaded on first use: a farm node that never stitches does not pay for it in memory.
  const { default: ffmpeg } = await import('fluent-ffmpeg')
  return new Promise((resolvePromise, reject) => {
    let commandLine = 'ffmpeg'
    const command = ffmpeg()
      .input(pattern)
      .inputOptions(['-framerate', String(opts.fps), '-start_number', '0'])
      .outputOptions([...outputOptions(format, opts.fps, opts.crf), '-r', String(opts.fps)])
      .output(partial)
    const onAbort = () => command.kill('SIGKILL')
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const settle = (err?: Error) => {
      opts.signal?.removeEventListener('abort', onAbort)
      if (err) reject(err)
      else resolvePromise()
    }
    command
      .on('start', (line: string) => {
        commandLine = line
      })
      // ffmpeg exits 0 when only writing the trailer fails (a full disk at the last moment),
      // leaving a truncated file: its own report decides.
      .on('end', (_stdout: string | null, stderr: string | null) => {
        const output = stderr ?? ''
        if (saysDiskFull(output)) return settle(RenderError.diskFull(opts.out))
        if (/Error writing trailer|Error closing file/.test(output)) {
          return settle(RenderError.stitchFailed(opts.out, tailLines(output, 8), commandLine))
        }
        settle()
      })
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
        if (opts.signal?.aborted) return settle(RenderError.aborted())
        const output = stderr ?? err.message
        if (saysDiskFull(output)) return settle(RenderError.diskFull(opts.out))
        if (/ENOENT|Cannot find ffmpeg/.test(err.message)) {
          return settle(RenderError.rendererMissing('ffmpeg', installHint('ffmpeg')))
        }
        settle(RenderError.stitchFailed(opts.out, tailLines(output, 8), commandLine))
      })
      .run()
  })
}
