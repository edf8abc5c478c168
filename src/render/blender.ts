import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { BLEND_INSPECT_PY, INSPECT_MARK } from './blend-inspect-script.ts'
import { blenderCheckArgs, MISSING_MARK, writeBlenderCheck } from './deps/blender-deps.ts'
import { RenderError } from './errors.ts'
import { describeFrames } from './frame-list.ts'
import { saysDiskFull, TAIL_LINES, tailLines } from './output.ts'
import {
  type BlenderDevice,
  type ChunkOutput,
  type ChunkRequest,
  type ChunkSandbox,
  type RendererAdapter,
  runRenderer,
} from './renderer.ts'
import type { SandboxSpec } from './sandbox.ts'

const NOTE = 'FARM-NOTE: '

/**
 * Python run inside Blender after the file loads and before it renders. Debian's Blender is
 * built without OpenImageDenoise, and a file saved with Cycles denoising on then renders nothing
 * ("Build without OpenImageDenoiser"): turn denoising off there and say so, rather than fail.
 */
export function blenderSetup(request: Pick<ChunkRequest, 'size' | 'region' | 'blenderDevice'>): string {
  const lines = ['import bpy', 's = bpy.context.scene']
  if (request.size) {
    lines.push(
      `s.render.resolution_x = ${request.size.width}`,
      `s.render.resolution_y = ${request.size.height}`,
      's.render.resolution_percentage = 100',
    )
  }
  lines.push(
    "if s.render.engine == 'CYCLES' and s.cycles.use_denoising:",
    '    import _cycles',
    "    if not getattr(_cycles, 'with_openimagedenoise', True):",
    '        s.cycles.use_denoising = False',
    `        print('${NOTE}this Blender is built without OpenImageDenoise: rendering with denoising off')`,
  )
  if (request.blenderDevice) lines.push(...deviceSetup(request.blenderDevice))
  if (request.region) lines.push(...borderSetup(request))
  return lines.join('\n')
}

/** A line Blender prints before it exits 3: the reason a render cannot be done as asked. */
const REFUSAL = 'FARM-ERROR: '

/** Cycles on `device`, every device of that type on; a Blender without one exits rather than render on another. */
function deviceSetup(device: BlenderDevice): string[] {
  if (device === 'CPU') return ["if s.render.engine == 'CYCLES':", "    s.cycles.device = 'CPU'"]
  return [
    "if s.render.engine == 'CYCLES':",
    '    import _cycles, sys',
    `    if not any(d[1] == '${device}' for d in _cycles.available_devices('${device}')):`,
    `        print('${REFUSAL}this Blender has no ${device} device: give farm join another --blender-device (farm doctor lists them)')`,
    '        sys.exit(3)',
    "    prefs = bpy.context.preferences.addons['cycles'].preferences",
    `    prefs.compute_device_type = '${device}'`,
    '    prefs.get_devices()',
    `    for d in prefs.devices: d.use = d.type == '${device}'`,
    "    s.cycles.device = 'GPU'",
  ]
}

/**
 * The render border over the tile, without Blender's crop: Blender dithers each pixel by its
 * place in the image it saves, so a cropped tile differs from the same pixels of a whole frame
 * by one level here and there, and an uncropped one does not (the farm crops it, tiles.ts).
 * Edges sit a quarter pixel inside, so Blender's float-to-pixel conversion lands on them
 * whether it truncates or rounds. A denoiser sees only its tile, so seams would show: refused.
 */
function borderSetup(request: Pick<ChunkRequest, 'size' | 'region'>): string[] {
  const { region, size } = request as Required<Pick<ChunkRequest, 'size' | 'region'>>
  const edge = (pixel: number, side: number) => Math.min(1, (pixel + 0.25) / side).toFixed(8)
  return [
    "if s.render.engine == 'CYCLES' and s.cycles.use_denoising:",
    `    print('${REFUSAL}the scene renders with denoising on, which would show seams between tiles: turn it off in the .blend or submit without --tiles')`,
    '    import sys',
    '    sys.exit(3)',
    's.render.use_border = True',
    's.render.use_crop_to_border = False',
    `s.render.border_min_x = ${edge(region.x, size.width)}`,
    `s.render.border_max_x = ${edge(region.x + region.width, size.width)}`,
    `s.render.border_min_y = ${edge(size.height - region.y - region.height, size.height)}`,
    `s.render.border_max_y = ${edge(size.height - region.y, size.height)}`,
  ]
}

export function blenderArgs(request: ChunkRequest): string[] {
  return [
    '-b',
    '--factory-startup',
    // Python in a .blend (registered text blocks, scripted drivers) never runs, whatever the file says.
    '--disable-autoexec',
    '-noaudio',
    request.scene,
    '--python-expr',
    blenderSetup(request),
    ...blenderCheckArgs(request.workDir),
    '-o',
    join(request.workDir, 'f######'),
    '-F',
    'PNG',
    '-x',
    '1',
    '-t',
    String(request.threads),
    '-s',
    String(request.frames[0]),
    '-e',
    String(request.frames.at(-1)),
    '-a',
  ]
}

/** Blender's per-tile chatter, which hides the line that says what went wrong. */
const CHATTER = /^Fra:\d+ .*\| (Sample|Rendered|Updating|Loading|Synchroniz|Initializing|Waiting|Finished)/

function blenderSandbox(request: ChunkRequest, sandbox: ChunkSandbox): SandboxSpec {
  return {
    read: [sandbox.root],
    write: request.workDir,
    ...(sandbox.limits ? { limits: sandbox.limits } : {}),
  }
}

/** Inspections already made, by scene file and its modification time: one per job, not per chunk. */
const inspected = new Map<string, Promise<string[]>>()

/**
 * What in a .blend reaches outside its scene (see blend-inspect-script.ts), found by a sandboxed
 * Blender that reads only the scene's directory.
 */
export async function inspectBlend(
  scene: string,
  sandbox: ChunkSandbox,
  signal?: AbortSignal,
): Promise<string[]> {
  const key = `${scene}\0${(await stat(scene)).mtimeMs}`
  let pending = inspected.get(key)
  if (pending === undefined) {
    pending = runInspection(scene, sandbox, signal)
    inspected.set(key, pending)
    pending.catch(() => inspected.delete(key))
  }
  return pending
}

async function runInspection(scene: string, sandbox: ChunkSandbox, signal?: AbortSignal): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'farm-inspect-'))
  try {
    const args = [
      '-b',
      '--factory-startup',
      '--disable-autoexec',
      '-noaudio',
      scene,
      '--python-expr',
      BLEND_INSPECT_PY,
      '--',
      sandbox.root,
    ]
    const run = await runRenderer('blender', args, {
      cwd: dirname(scene),
      sandbox: { read: [sandbox.root], write: work, ...(sandbox.limits ? { limits: sandbox.limits } : {}) },
      timeoutMs: INSPECT_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    })
    const line = run.output.split('\n').find((l) => l.startsWith(INSPECT_MARK))
    if (line === undefined)
      throw RenderError.SCENE_INVALID(scene, tailLines(run.output, TAIL_LINES, CHATTER), run.command)
    return JSON.parse(line.slice(INSPECT_MARK.length)) as string[]
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** Loading a .blend and walking its data: seconds, even for a big file. */
const INSPECT_TIMEOUT_MS = 120_000
const MISSING_FILE = new RegExp(`^(${MISSING_MARK}|Warning: Unable to open)`)

export const blender: RendererAdapter = {
  name: 'blender',
  async framesWritten(request) {
    const files = new Map<number, string>()
    for (const name of await readdir(request.workDir)) {
      const match = /^f(\d+)\.png$/.exec(name)
      if (match) files.set(Number(match[1]), join(request.workDir, name))
    }
    return files
  },
  async renderChunk(request: ChunkRequest): Promise<ChunkOutput> {
    // Another owner's file is looked at before it renders: a frame comes from the chunk's
    // directory only, and the file reads nothing outside its own.
    if (request.sandbox) {
      const found = await inspectBlend(request.scene, request.sandbox, request.signal)
      if (found.length > 0) throw RenderError.SCENE_REFUSED(request.scene, found)
    }
    await writeBlenderCheck(request.workDir)
    const run = await runRenderer(request.program ?? 'blender', blenderArgs(request), {
      cwd: dirname(request.scene),
      frames: request.frames,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.sandbox ? { sandbox: blenderSandbox(request, request.sandbox) } : {}),
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      ...(request.frameTimeoutS !== undefined ? { frameTimeoutS: request.frameTimeoutS } : {}),
      ...(request.pidDir !== undefined ? { pidDir: request.pidDir } : {}),
      ...(request.tethered ? { tethered: true } : {}),
    })
    const tail = tailLines(run.output, TAIL_LINES, CHATTER)
    const notes = run.output
      .split('\n')
      .filter((line) => line.startsWith(NOTE))
      .map((line) => line.slice(NOTE.length).trim())
    const files = await this.framesWritten(request)
    // Blender's own words for a file it could not read (a linked library: "Unable to open"), and
    // farm's check for those it would render wrong without a word (an image: magenta).
    const missing = run.output.split('\n').filter((line) => MISSING_FILE.test(line))
    if (missing.length > 0)
      throw RenderError.SCENE_FILES_MISSING(
        request.scene,
        missing.map((line) => line.replace(MISSING_MARK, '').trim()),
        run.command,
      )
    // Blender exits 0 after many failures (an unreadable file, a failed frame), so the images
    // on disk decide, not the exit code.
    if (run.exitCode !== 0 || request.frames.some((frame) => !files.has(frame))) {
      if (saysDiskFull(run.output)) throw RenderError.DISK_FULL(request.workDir)
      const refusal = run.output.split('\n').find((line) => line.startsWith(REFUSAL))
      if (refusal) throw RenderError.RENDER_FAILED(describeFrames(request.frames), refusal, run.command)
      if (/Unable to open|File format is not supported|not a blend file|Cannot read file/i.test(run.output)) {
        throw RenderError.SCENE_INVALID(request.scene, tail, run.command)
      }
      throw RenderError.RENDER_FAILED(describeFrames(request.frames), tail, run.command)
    }
    return { files, outputTail: tail, command: run.command, notes, cpuMs: run.cpuMs }
  },
}
