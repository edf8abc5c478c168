import { basename, extname, join, resolve } from 'node:path'
import {
  describeProgress,
  type FrameResult,
  framesOf,
  parseFrameRange,
  parseSize,
  progressBar,
  progressStats,
  RenderError,
  renderFrames,
  sandboxReport,
  stitchVideo,
} from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { onStopSignal } from './signals.ts'

const help = `Usage: farm render <scene.pov|scene.blend> --frames FIRST-LAST [options]

Renders an animation on this machine, with every core, and stitches OUT/video.mp4.
No network. Run the same command again after an interruption: finished frames are kept.

Options:
  --frames A-B       frames to render, e.g. 1-120 (POV-Ray's clock runs 0..1 over this range)
  --size WxH         image size, e.g. 640x480 (default: the scene's own; POV-Ray's is 320x240)
  --fps N            frames per second of the video (default 24)
  --out DIR          where frames and video go (default ./render-<scene name>)
  --jobs N           renderer processes at once (default: one per core for POV-Ray, one for Blender)
  --threads N        threads per renderer process (default: the cores shared among the processes)
  --crf N            video quality, lower is better (default 18)
  --gif              also write OUT/video.gif
  --webm             also write OUT/video.webm
  --quality N        POV-Ray quality 0-11 (default 9)
  --antialias T      POV-Ray anti-aliasing threshold, or 'off' (default 0.3)
  --no-video         render the frames only
  --sandbox          render in the sandbox farm uses for other people's scenes (see farm doctor)

Prints the video's path on stdout; progress goes to stderr.

Examples:
  farm render examples/povray/orbit.pov --frames 1-120 --size 640x480
  farm render examples/blender/spinning-top.blend --frames 1-48 --fps 24 --out /tmp/top
`

const flags = flagsOf('render')

function antialiasOf(text: string | undefined): number | false | undefined {
  if (text === 'off') return false
  if (text !== undefined && !(Number(text) >= 0 && Number(text) <= 3))
    throw flags.error('antialias', text, "'off' or a threshold from 0 to 3")
  return flags.between('antialias', text, 0, 3)
}

/** Redraws one line in a terminal, prints a line per frame elsewhere (CI logs, pipes). */
function progressReporter(total: number) {
  const started = performance.now()
  const tty = process.stderr.isTTY === true
  let done = 0
  let resumed = 0
  const line = () =>
    describeProgress(progressStats({ done, resumed, total, elapsedMs: performance.now() - started }))
  return {
    frame(result: FrameResult) {
      done++
      if (result.resumed) resumed++
      if (tty) process.stderr.write(`\r\x1b[K${progressBar(done, total)} ${line()}`)
      else process.stderr.write(`frame ${result.frame} ${result.resumed ? 'kept' : 'rendered'}: ${line()}\n`)
    },
    end() {
      if (tty && done > 0) process.stderr.write('\n')
    },
  }
}

export const command: Command = {
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('render', argv, {
      frames: { type: 'string' },
      size: { type: 'string' },
      fps: { type: 'string' },
      out: { type: 'string' },
      jobs: { type: 'string' },
      threads: { type: 'string' },
      crf: { type: 'string' },
      gif: { type: 'boolean' },
      webm: { type: 'boolean' },
      quality: { type: 'string' },
      antialias: { type: 'string' },
      'no-video': { type: 'boolean' },
      sandbox: { type: 'boolean' },
    })
    const [scene, ...extra] = positionals
    if (scene === undefined)
      throw new UsageError(
        'farm render: give a scene file (.pov or .blend). Example: farm render examples/povray/orbit.pov --frames 1-60',
      )
    if (extra.length > 0)
      throw new UsageError(`farm render: one scene at a time; unexpected '${extra.join(' ')}'.`)
    if (values.frames === undefined)
      throw new UsageError('farm render: give the frames to render with --frames, e.g. --frames 1-120.')
    const range = parseFrameRange(values.frames)
    const size = values.size === undefined ? undefined : parseSize(values.size)
    const fps = flags.whole('fps', values.fps) ?? 24
    const jobs = flags.whole('jobs', values.jobs)
    const threads = flags.whole('threads', values.threads)
    const crf = flags.whole('crf', values.crf, { min: 0, max: 51 })
    const quality = flags.whole('quality', values.quality, { min: 0, max: 11 })
    const antialias = antialiasOf(values.antialias)
    const outDir = resolve(values.out ?? `render-${basename(scene, extname(scene))}`)

    if (values.sandbox) {
      const report = await sandboxReport()
      if (!report.ok) throw RenderError.SANDBOX_UNAVAILABLE(report.problem!)
    }
    const stop = new AbortController()
    const releaseSignals = onStopSignal(() => stop.abort())
    const frames = framesOf(range)
    const progress = progressReporter(frames.length)
    try {
      process.stderr.write(`farm render: ${frames.length} frames of ${scene} into ${outDir}\n`)
      const results = await renderFrames({
        scene,
        frames,
        animation: range,
        outDir,
        signal: stop.signal,
        onFrame: (result) => progress.frame(result),
        onNote: (note) => process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}farm render: ${note}\n`),
        ...(size ? { size } : {}),
        ...(values.sandbox ? { sandbox: {} } : {}),
        ...(jobs ? { jobs } : {}),
        ...(threads ? { threads } : {}),
        povray: {
          ...(antialias !== undefined ? { antialias } : {}),
          ...(quality !== undefined ? { quality } : {}),
        },
      })
      progress.end()
      if (values['no-video']) {
        process.stdout.write(`${outDir}\n`)
        return 0
      }
      const files = results.map((result) => result.file)
      const outputs = ['mp4', ...(values.gif ? ['gif'] : []), ...(values.webm ? ['webm'] : [])]
      for (const ext of outputs) {
        const out = join(outDir, `video.${ext}`)
        process.stderr.write(`farm render: stitching ${out}\n`)
        await stitchVideo({
          frames: files,
          fps,
          out,
          signal: stop.signal,
          ...(crf !== undefined && ext !== 'gif' ? { crf } : {}),
        })
        process.stdout.write(`${out}\n`)
      }
      return 0
    } catch (err) {
      progress.end()
      if (err instanceof RenderError && err.code === 'ABORTED') {
        process.stderr.write(
          `farm render: stopped. Finished frames stay in ${outDir}; run the same command to resume.\n`,
        )
        return 130
      }
      throw err
    } finally {
      releaseSignals()
    }
  },
}
