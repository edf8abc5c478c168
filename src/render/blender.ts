import { readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { blenderCheckArgs, MISSING_MARK, writeBlenderCheck } from './deps/blender-deps.ts'
import { RenderError } from './errors.ts'
import { describeFrames } from './frame-list.ts'
import { saysDiskFull, TAIL_LINES, tailLines } from './output.ts'
import { type ChunkOutput, type ChunkRequest, type RendererAdapter, runRenderer } from './renderer.ts'

const NOTE = 'FARM-NOTE: '

/**
 * Python run inside Blender after the file loads and before it renders. Debian's Blender is
 * built without OpenImageDenoise, and a file saved with Cycles denoising on then renders nothing
 * ("Build without OpenImageDenoiser"): turn denoising off there and say so, rather than fail.
 */
export function blenderSetup(request: Pick<ChunkRequest, 'size'>): string {
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
  return lines.join('\n')
}

export function blenderArgs(request: ChunkRequest): string[] {
  return [
    '-b',
    '--factory-startup',
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
    await writeBlenderCheck(request.workDir)
    const run = await runRenderer('blender', blenderArgs(request), {
      cwd: dirname(request.scene),
      ...(request.signal ? { signal: request.signal } : {}),
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
      if (/Unable to open|File format is not supported|not a blend file|Cannot read file/i.test(run.output)) {
        throw RenderError.SCENE_INVALID(request.scene, tail, run.command)
      }
      throw RenderError.RENDER_FAILED(describeFrames(request.frames), tail, run.command)
    }
    return { files, outputTail: tail, command: run.command, notes }
  },
}
