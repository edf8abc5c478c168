import { installHint } from './detect.ts'
import { RenderError } from './errors.ts'
import type { FrameRange, Size } from './frames.ts'
import { type RunResult, runProgram } from './process.ts'

export type RendererName = 'povray' | 'blender'

/** One renderer process over a run of consecutive frames. */
export interface ChunkRequest {
  /** Absolute path of the scene file. */
  scene: string
  /** Consecutive frame numbers, ascending. */
  frames: number[]
  /** The animation's whole range: POV-Ray maps it onto clock 0..1, so chunks agree on clock. */
  animation: FrameRange
  size?: Size
  threads: number
  /** An empty directory the renderer writes into; the caller moves finished frames out. */
  workDir: string
  povray?: PovrayOptions
  signal?: AbortSignal
}

export interface PovrayOptions {
  /** Anti-aliasing threshold (+A), or false for none. Default 0.3, POV-Ray's usual. */
  antialias?: number | false
  /** Quality 0..11 (+Q). Default 9, POV-Ray's default. */
  quality?: number
  /** Library directories (+L, absolute) searched after the scene's own directory. */
  libraries?: string[]
}

export interface ChunkOutput {
  /** Frame number -> image file inside workDir. */
  files: Map<number, string>
  /** The last lines the renderer printed (stderr and stdout interleaved). */
  outputTail: string
  command: string
  /** Things the user should know that did not stop the render (e.g. denoising turned off). */
  notes: string[]
}

export interface RendererAdapter {
  readonly name: RendererName
  renderChunk(request: ChunkRequest): Promise<ChunkOutput>
  /** Frame number -> image file the renderer has written so far in the request's workDir. */
  framesWritten(request: Pick<ChunkRequest, 'workDir' | 'animation'>): Promise<Map<number, string>>
}

/**
 * Runs a renderer to completion and keeps what it printed. A stop (the signal) ends it with its
 * whole process group, so nothing a renderer started outlives Ctrl-C.
 */
export async function runRenderer(
  file: string,
  args: string[],
  opts: { cwd: string; signal?: AbortSignal },
): Promise<RunResult> {
  const result = await runProgram(file, args, {
    cwd: opts.cwd,
    env: { LC_ALL: 'C' },
    ...(opts.signal ? { signal: opts.signal } : {}),
  })
  if (opts.signal?.aborted) throw RenderError.ABORTED()
  if (result.spawnError?.code === 'ENOENT') throw RenderError.RENDERER_MISSING(file, installHint(file))
  return result
}
