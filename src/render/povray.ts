import { existsSync, readdirSync } from 'node:fs'
import { readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { RenderError } from './errors.ts'
import { describeFrames } from './frame-list.ts'
import type { Size } from './frames.ts'
import { saysDiskFull, TAIL_LINES, tailLines } from './output.ts'
import { type ChunkOutput, type ChunkRequest, type RendererAdapter, runRenderer } from './renderer.ts'
import type { SandboxSpec } from './sandbox.ts'
import { grownRegion, type Region } from './tiles.ts'

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
  if (request.region && request.size) args.push(...partialRender(request.region, request.size))
  return args
}

/**
 * POV-Ray's partial render (+SC/+EC/+SR/+ER, 1-based and inclusive; a whole-size image with the
 * rest black). Anti-aliasing compares each pixel with its neighbours, which a partial render
 * does not trace beyond its edge: measured on examples/povray, a tile's edge pixels then differ
 * from the whole frame's, and with one more pixel all round they do not. The farm crops that
 * margin off (tiles.ts).
 */
function partialRender(region: Region, size: Size): string[] {
  const grown = grownRegion(region, size, 1)
  return [
    `+SC${grown.x + 1}`,
    `+EC${grown.x + grown.width}`,
    `+SR${grown.y + 1}`,
    `+ER${grown.y + grown.height}`,
  ]
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

/**
 * The povray.conf a sandboxed POV-Ray reads instead of the system's: file I/O restricted to
 * reading POV-Ray's own files and the scene, and to writing the chunk directory. Debian's own
 * lets a scene read all of $HOME and write all of /tmp.
 */
export function povrayConf(sceneRoot: string, workDir: string): string {
  const shared = existsSync('/usr/share')
    ? readdirSync('/usr/share')
        .filter((name) => /^povray/.test(name))
        .map((name) => `/usr/share/${name}`)
    : []
  const quote = (path: string) => `"${path}"`
  return [
    '[File I/O Security]',
    'restricted',
    '[Shellout Security]',
    'forbidden',
    '[Permitted Paths]',
    ...shared.map((dir) => `read* = ${quote(dir)}`),
    'read* = "/etc/povray"',
    `read* = ${quote(sceneRoot)}`,
    `read+write* = ${quote(workDir)}`,
    '',
  ].join('\n')
}

/** The sandbox of a POV-Ray chunk: farm's povray.conf over every system one. */
async function povraySandbox(request: ChunkRequest): Promise<SandboxSpec | undefined> {
  if (!request.sandbox) return undefined
  const conf = join(request.workDir, '.farm-povray.conf')
  await writeFile(conf, povrayConf(request.sandbox.root, request.workDir))
  const versions = existsSync('/etc/povray') ? readdirSync('/etc/povray') : []
  return {
    read: [request.sandbox.root],
    write: request.workDir,
    overlays: versions
      .filter((v) => existsSync(`/etc/povray/${v}/povray.conf`))
      .map((v) => ({ source: conf, target: `/etc/povray/${v}/povray.conf` })),
    ...(request.sandbox.limits ? { limits: request.sandbox.limits } : {}),
  }
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
    const sandbox = await povraySandbox(request)
    const runPovray = () =>
      runRenderer(request.program ?? 'povray', args, {
        cwd: dirname(request.scene),
        frames: request.frames,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(sandbox ? { sandbox } : {}),
        ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
        ...(request.frameTimeoutS !== undefined ? { frameTimeoutS: request.frameTimeoutS } : {}),
        ...(request.pidDir !== undefined ? { pidDir: request.pidDir } : {}),
        ...(request.tethered ? { tethered: true } : {}),
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
    return { files, outputTail: tail, command: run.command, notes: [], cpuMs: run.cpuMs }
  },
}
