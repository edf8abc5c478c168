import { timedCommand } from './cpu.ts'
import { installHint } from './detect.ts'
import { RenderError } from './errors.ts'
import { describeFrames } from './frame-list.ts'
import type { FrameRange, Size } from './frames.ts'
import { forgetRenderer, recordRenderer } from './pid-files.ts'
import { commandLine, type RunResult, runProgram } from './process.ts'
import { type SandboxLimits, type SandboxSpec, sandboxedCommand, tetheredCommand } from './sandbox.ts'
import type { Region } from './tiles.ts'

export type RendererName = 'povray' | 'blender'

/** Cycles' devices, as Blender names its compute device types (CPU: no GPU). */
export const BLENDER_DEVICES = ['CPU', 'CUDA', 'OPTIX', 'HIP', 'METAL'] as const
export type BlenderDevice = (typeof BLENDER_DEVICES)[number]

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
  /** The renderer's executable (default: `povray` or `blender` on PATH). */
  program?: string
  /** Cycles' device (default: what the .blend says). */
  blenderDevice?: BlenderDevice
  /** Render only this part of the `size` image (a tile): the image written stays whole-size. */
  region?: Region
  signal?: AbortSignal
  /** Render inside the sandbox (sandbox.ts), reading only below `root`: for other owners' scenes. */
  sandbox?: ChunkSandbox
  /** Kills the renderer (its whole group) once the chunk has run this long: frames x the frame timeout. */
  timeoutMs?: number
  /** The frame timeout in seconds, for the message of a chunk killed at timeoutMs. */
  frameTimeoutS?: number
  /** Where the renderer's pid is recorded while it runs, so a node killed outright can kill it at its next start. */
  pidDir?: string
  /** Unsandboxed, but killed when this process dies (see sandbox.ts's tetheredCommand). */
  tethered?: boolean
}

export interface ChunkSandbox {
  /** The scene's whole directory (the job's unpacked archive): read-only inside. */
  root: string
  limits?: Partial<SandboxLimits>
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
  /** The renderer's CPU time over the chunk (ms), when it could be read. */
  cpuMs: number | undefined
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
  opts: {
    cwd: string
    signal?: AbortSignal
    sandbox?: SandboxSpec
    timeoutMs?: number
    frameTimeoutS?: number
    frames?: number[]
    pidDir?: string
    tethered?: boolean
  },
): Promise<RunResult> {
  const command = opts.sandbox
    ? await sandboxedCommand(file, args, opts.sandbox, opts.cwd)
    : opts.tethered
      ? { ...tetheredCommand(file, args, opts.cwd), cleanup: async () => {} }
      : { ...timedCommand(file, args), cleanup: async () => {} }
  let pid: number | undefined
  try {
    const run = await runProgram(command.file, command.args, {
      times: true,
      cwd: opts.cwd,
      env: { LC_ALL: 'C' },
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.pidDir !== undefined
        ? {
            onSpawn: (started: number) => {
              pid = started
              recordRenderer(opts.pidDir!, started)
            },
          }
        : {}),
    })
    // A user fixes the renderer's command line; the sandbox's own is the same on every run.
    const result = {
      ...run,
      command: `${commandLine(file, args)}${opts.sandbox ? " (in farm's sandbox)" : ''}`,
    }
    if (opts.signal?.aborted) throw RenderError.ABORTED()
    if (result.timedOut)
      throw RenderError.FRAME_TIMEOUT(
        describeFrames(opts.frames ?? []),
        opts.frameTimeoutS ?? Math.round((opts.timeoutMs ?? 0) / 1000),
        result.command,
      )
    const wrapped = opts.sandbox !== undefined || opts.tethered === true
    if (result.spawnError?.code === 'ENOENT') {
      const missing = wrapped && /prlimit|bwrap/.test(result.output) ? 'bwrap' : file
      throw RenderError.RENDERER_MISSING(missing, installHint(missing))
    }
    // The sandbox's own failure (a bind it could not make) is not the scene's.
    if (wrapped && result.exitCode !== 0 && /^bwrap: /m.test(result.output))
      throw RenderError.SANDBOX_UNAVAILABLE(result.output.match(/^bwrap: .*$/m)![0])
    return result
  } finally {
    if (pid !== undefined) forgetRenderer(opts.pidDir!, pid)
    await command.cleanup()
  }
}
