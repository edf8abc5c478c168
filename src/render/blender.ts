import { readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { RenderError } from './errors.ts'
import { describeFrames } from './frame-list.ts'
import { saysDiskFull, TAIL_LINES, tailLines } from './output.ts'
import {
  type BlenderDevice,
  type ChunkOutput,
  type ChunkRequest,
  type RendererAdapter,
  runRenderer,
} from './renderer.ts'

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
    '-noaudio',
    request.scene,
    '--python-expr',
    blenderSetup(request),
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
    const run = await runRenderer(request.program ?? 'blender', blenderArgs(request), {
      cwd: dirname(request.scene),
      ...(request.signal ? { signal: request.signal } : {}),
    })
    const tail = tailLines(run.output, TAIL_LINES, CHATTER)
    const notes = run.output
      .split('\n')
      .filter((line) => line.startsWith(NOTE))
      .map((line) => line.slice(NOTE.length).trim())
    const files = await this.framesWritten(request)
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
    return { files, outputTail: tail, command: run.command, notes }
  },
}
