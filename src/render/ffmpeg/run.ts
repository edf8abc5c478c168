import { installHint } from '../detect.ts'
import { RenderError } from '../errors.ts'
import { type RunResult, runProgram } from '../process.ts'

/**
 * Every ffmpeg call of farm goes through here: the stitcher's videos, the capture part's
 * stills, thumbnails and timelapses. ffmpeg runs as a child, never in-process: decoding a 12 MP
 * frame in-process would take ~50 MB of RSS by itself on a Pi.
 */

const FFMPEG = process.env.FARM_FFMPEG ?? 'ffmpeg'

/** An image or a small probe on stdout; more is a bug, not a frame, and fails the call. */
const MAX_STDOUT = 64 * 1024 * 1024

export interface FfmpegOptions {
  input?: Uint8Array | AsyncIterable<Uint8Array>
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Runs ffmpeg quietly (errors only, no banner, no keyboard) and hands back how it ended. Throws
 * only for what no caller can act on differently: a stop, and ffmpeg missing.
 */
export async function runFfmpeg(args: string[], opts: FfmpegOptions): Promise<RunResult> {
  const result = await runProgram(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], {
    stdout: 'bytes',
    maxOutput: MAX_STDOUT,
    ...(opts.input === undefined ? {} : { input: opts.input }),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  })
  if (opts.signal?.aborted) throw RenderError.ABORTED()
  if (result.spawnError?.code === 'ENOENT')
    throw RenderError.RENDERER_MISSING('ffmpeg', installHint('ffmpeg'))
  return result
}

/** What ffmpeg wrote to stdout; throws FFMPEG_FAILED with ffmpeg's own words when it failed. */
export async function ffmpegOutput(
  args: string[],
  /** `what`: what the call does, for its error: "encode the timelapse /x.mp4". */
  opts: FfmpegOptions & { what: string },
): Promise<Buffer> {
  const result = await runFfmpeg(args, opts)
  if (!result.ok) {
    const why = result.timedOut
      ? `timed out after ${opts.timeoutMs} ms`
      : result.tail || `exit ${result.exitCode}`
    throw RenderError.FFMPEG_FAILED(opts.what, why)
  }
  return result.stdout
}
