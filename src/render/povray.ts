import { readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { RenderError } from './errors.ts'
import { describeFrames } from './frame-list.ts'
import { saysDiskFull, TAIL_LINES, tailLines } from './output.ts'
import { type ChunkOutput, type ChunkRequest, type RendererAdapter, runRenderer } from './renderer.ts'

/** Debian's POV-Ray warns about a missing per-user config on every run; it means nothing here. */
const NOISE = /cannot open the user configuration file/

export function povrayArgs(request: ChunkRequest): string[] {
  const first = request.frames[0]!
  const last = request.frames.at(-1)!
  const { antialias = 0.3, quality = 9 } = request.povray ?? {}
  const args = [
    `+I${request.scene}`,
    `+O${join(request.workDir, 'f.png')}`,
    '+FN',
    '-D',
    '-P',
    '-V',
    '-GS',
    '-GR',
    `+L${dirname(request.scene)}`,
    ...(request.povray?.libraries ?? []).map((lib) => `+L${lib}`),
    `+KFI${request.animation.first}`,
    `+KFF${request.animation.last}`,
    `+SF${first}`,
    `+EF${last}`,
    `+Q${quality}`,
    antialias === false ? '-A' : `+A${antialias}`,
    `+WT${request.threads}`,
  ]
  if (request.size) args.push(`+W${request.size.width}`, `+H${request.size.height}`)
  return args
}

/**
 * POV-Ray 3.7 now and then exits before printing its queued parse message (seen twice in this
 * project's suite under heavy CPU load, never on a quiet machine): the output then says only
 * "Cannot parse input". That message is what a user needs to fix the scene, and the failure is
 * deterministic, so POV-Ray is asked again, at most this many times.
 */
const LOST_MESSAGE_RETRIES = 2

function lostParseMessage(run: { exitCode: number | undefined; output: string }): boolean {
  return run.exitCode !== 0 && /Cannot parse input/.test(run.output) && !/Parse Error/.test(run.output)
}

/** The banner POV-Ray prints before each phase; an error's lines follow the last one. */
function errorTail(output: string): string {
  const lines = output.split(/\r?\n/)
  const banner = lines.findLastIndex((line) => line.startsWith('===='))
  return tailLines(banner >= 0 ? lines.slice(banner).join('\n') : output, TAIL_LINES, NOISE)
}

export const povray: RendererAdapter = {
  name: 'povray',
  async framesWritten(request) {
    const files = new Map<number, string>()
    const single = request.animation.first === request.animation.last
    for (const name of await readdir(request.workDir)) {
      // POV-Ray pads frame numbers to the width of the final frame, and drops the number
      // altogether when the animation is a single frame.
      const match = /^f(\d*)\.png$/.exec(name)
      if (!match) continue
      const frame = match[1] === '' ? (single ? request.animation.first : undefined) : Number(match[1])
      if (frame !== undefined) files.set(frame, join(request.workDir, name))
    }
    return files
  },
  async renderChunk(request: ChunkRequest): Promise<ChunkOutput> {
    const args = povrayArgs(request)
    const runPovray = () =>
      runRenderer('povray', args, {
        cwd: dirname(request.scene),
        ...(request.signal ? { signal: request.signal } : {}),
      })
    let run = await runPovray()
    for (let retry = 0; retry < LOST_MESSAGE_RETRIES && lostParseMessage(run); retry++)
      run = await runPovray()
    const tail = errorTail(run.output)
    if (run.exitCode !== 0) {
      if (saysDiskFull(run.output)) throw RenderError.DISK_FULL(request.workDir)
      if (/Parse Error|Cannot parse input/.test(run.output))
        throw RenderError.SCENE_INVALID(request.scene, tail, run.command)
      throw RenderError.RENDER_FAILED(describeFrames(request.frames), tail, run.command)
    }
    const files = await this.framesWritten(request)
    return { files, outputTail: tail, command: run.command, notes: [] }
  },
}
