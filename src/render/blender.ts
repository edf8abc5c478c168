import { readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { RenderError } from './errors.ts'
import { describeFrames } from './frame-list.ts'
import { saysDiskFull, TAIL_LINES, tailLines } from './output.ts'
import {
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
    // Python in a .blend (registered text blocks, scripted drivers) never runs, whatever the file says.
    '--disable-autoexec',
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

function blenderSandbox(request: ChunkRequest, sandbox: ChunkSandbox): SandboxSpec {
  return {
    read: [sandbox.root],
    write: request.workDir,
    ...(sandbox.limits ? { limits: sandbox.limits } : {}),
  }
}

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
    const run = await runRenderer('blender', blenderArgs(request), {
      cwd: dirname(request.scene),
      frames: request.frames,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.sandbox ? { sandbox: blenderSandbox(request, request.sandbox) } : {}),
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      ...(request.frameTimeoutS !== undefined ? { frameTimeoutS: request.frameTimeoutS } : {}),
      ...(request.pidDir !== undefined ? { pidDir: request.pidDir } : {}),
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
      if (/Unable to open|File format is not supported|not a blend file|Cannot read file/i.test(run.output)) {
        throw RenderError.SCENE_INVALID(request.scene, tail, run.command)
      }
      throw RenderError.RENDER_FAILED(describeFrames(request.frames), tail, run.command)
    }
    return { files, outputTail: tail, command: run.command, notes }
  },
}
