import { randomBytes } from 'node:crypto'
import { access, mkdir, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { blender } from './blender.ts'
import { rendererForScene } from './detect.ts'
import { RenderError } from './errors.ts'
import { chunkFrames, chunkSizeFor, type FrameRange, frameFileName, type Size } from './frames.ts'
import { checkFrame } from './pixels.ts'
import { povray } from './povray.ts'
import type {
  BlenderDevice,
  ChunkRequest,
  ChunkSandbox,
  PovrayOptions,
  RendererAdapter,
  RendererName,
} from './renderer.ts'
import type { SandboxLimits } from './sandbox.ts'
import { cropToRegion, type Region } from './tiles.ts'

export interface RenderOptions {
  scene: string
  frames: number[]
  /** The animation's whole frame range, which sets POV-Ray's clock. Default: first..last of frames. */
  animation?: FrameRange
  size?: Size
  /** Where frameFileName(frame) images go. */
  outDir: string
  /** Renderer processes at once. Default: see defaultParallelism. */
  jobs?: number
  /** Threads per renderer process. Default: the cores divided among the processes. */
  threads?: number
  /** Most consecutive frames one renderer process takes. Default: see chunkSizeFor. */
  chunk?: number
  povray?: PovrayOptions
  /** The renderer's executable (default: `povray` or `blender` on PATH). */
  program?: string
  blenderDevice?: BlenderDevice
  /** Render only this tile of each `size` frame: the images are the tile's size. */
  region?: Region
  signal?: AbortSignal
  /** Called once per frame as it is finished or found already finished. */
  onFrame?: (result: FrameResult) => void
  /** Called with notes such as "denoising turned off", once each. */
  onNote?: (note: string) => void
  /**
   * Render in the sandbox (sandbox.ts): for scenes of other owners, and `farm render --sandbox`.
   * `root` is the directory the scene may read (default: the scene file's own).
   */
  sandbox?: { root?: string; limits?: Partial<SandboxLimits> }
  /** A renderer process is killed after this long per frame it renders; the frames fail with FRAME_TIMEOUT. */
  frameTimeoutMs?: number
  /** Where running renderers' pids are recorded (see pid-files.ts). */
  pidDir?: string
  /** Without a sandbox, still kill the renderers when this process dies (bwrap --die-with-parent). */
  tethered?: boolean
}

export interface FrameResult {
  frame: number
  file: string
  pixelHash: string
  width: number
  height: number
  /** Wall time of the frame's share of its renderer process; 0 when resumed. */
  renderMs: number
  /**
   * What the frame cost: its share of the renderer's CPU time over the threads it was given,
   * which is its render time on this machine when idle however busy the machine is now (the
   * wall time where the CPU time could not be read); 0 when resumed. WU are counted from it.
   */
  costMs: number
  /** True when a valid image from an earlier run was kept instead of rendering again. */
  resumed: boolean
  /** The renderer's last lines for this frame's process; empty when resumed. */
  outputTail: string
}

const ADAPTERS: Record<RendererName, RendererAdapter> = { povray, blender }

/**
 * POV-Ray: one process per core, each on one thread. Blender: one process on every core.
 * Measured on this 2-core machine (16 frames of examples/povray at 640x480, 8 of the Blender
 * example at 320x240, twice each): POV-Ray 16.1-18.5 s as 2x1 against 19.5-21.0 s as 1x2, since
 * it parses on one thread and then idles the other core; Blender 7.0-7.7 s as 1x2 against
 * 8.2-8.7 s as 2x1, since Cycles scales over threads and two processes load the file twice.
 * With fewer POV-Ray frames than cores, the spare cores go to the processes as threads.
 */
export function defaultParallelism(
  renderer: RendererName,
  frameCount: number,
  cores = availableParallelism(),
): { jobs: number; threads: number } {
  if (renderer === 'blender') return { jobs: 1, threads: cores }
  const jobs = Math.max(1, Math.min(cores, frameCount))
  return { jobs, threads: Math.max(1, Math.floor(cores / jobs)) }
}

/**
 * Renders frames of a scene into outDir as frameFileName(frame), checking each decodes at the
 * asked size. Frames already in outDir that decode at that size are kept (resume). Each image
 * appears under its final name only once it is whole and checked.
 */
export async function renderFrames(opts: RenderOptions): Promise<FrameResult[]> {
  const scene = resolve(opts.scene)
  const renderer = rendererForScene(scene)
  const adapter = ADAPTERS[renderer]
  await assertSceneFile(scene)
  if (opts.frames.length === 0) throw RenderError.NO_FRAMES('render')
  const outDir = resolve(opts.outDir)
  await assertWritable(outDir)
  await removeAbandonedChunks(outDir)
  if (opts.region && !opts.size) throw RenderError.BAD_SIZE('(none: a tile needs the whole frame size)')
  /** The size each image must have: the frame's, or its tile's. */
  const imageSize = opts.region ? { width: opts.region.width, height: opts.region.height } : opts.size

  const results = new Map<number, FrameResult>()
  const todo: number[] = []
  for (const frame of [...new Set(opts.frames)].sort((a, b) => a - b)) {
    const kept = await keptFrame(outDir, frame, imageSize)
    if (kept) {
      results.set(frame, kept)
      opts.onFrame?.(kept)
    } else todo.push(frame)
  }
  if (todo.length === 0) return [...results.values()]

  const parallel = defaultParallelism(renderer, todo.length)
  const jobs = opts.jobs ?? parallel.jobs
  const threads =
    opts.threads ??
    (opts.jobs === undefined ? parallel.threads : Math.max(1, Math.floor(availableParallelism() / jobs)))
  const queue = chunkFrames(todo, opts.chunk ?? chunkSizeFor(todo.length, jobs))
  const animation = opts.animation ?? {
    first: opts.frames.reduce((a, b) => Math.min(a, b)),
    last: opts.frames.reduce((a, b) => Math.max(a, b)),
  }
  const sandbox: ChunkSandbox | undefined = opts.sandbox && {
    root: resolve(opts.sandbox.root ?? dirname(scene)),
    ...(opts.sandbox.limits ? { limits: opts.sandbox.limits } : {}),
  }
  const stop = new AbortController()
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal
  const notes = new Set<string>()
  let failure: unknown

  /** Moves a checked frame out of its chunk directory under its final name. */
  const finish = async (
    frame: number,
    file: string,
    renderMs: number,
    costMs: number,
    outputTail: string,
  ) => {
    const final = join(outDir, frameFileName(frame))
    if (opts.region) {
      await cropToRegion(file, opts.region, `${file}.tile.png`)
      await rename(`${file}.tile.png`, file)
    }
    const check = await checkFrame(file, imageSize)
    await rename(file, final)
    const result = { frame, file: final, ...check, renderMs, costMs, resumed: false, outputTail }
    results.set(frame, result)
    opts.onFrame?.(result)
  }

  const worker = async () => {
    for (let chunk = queue.shift(); chunk !== undefined && failure === undefined; chunk = queue.shift()) {
      const request: ChunkRequest = {
        scene,
        frames: chunk,
        animation,
        threads,
        workDir: join(outDir, `${CHUNK_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`),
        signal,
        ...(opts.size ? { size: opts.size } : {}),
        ...(opts.povray ? { povray: opts.povray } : {}),
        ...(sandbox ? { sandbox } : {}),
        ...(opts.frameTimeoutMs !== undefined
          ? {
              timeoutMs: opts.frameTimeoutMs * chunk.length,
              frameTimeoutS: Math.round(opts.frameTimeoutMs / 1000),
            }
          : {}),
        ...(opts.pidDir !== undefined ? { pidDir: opts.pidDir } : {}),
        ...(opts.tethered && !sandbox ? { tethered: true } : {}),
        ...(opts.program ? { program: opts.program } : {}),
        ...(opts.blenderDevice ? { blenderDevice: opts.blenderDevice } : {}),
        ...(opts.region ? { region: opts.region } : {}),
      }
      const started = performance.now()
      try {
        await mkdir(request.workDir)
        const output = await adapter.renderChunk(request)
        const renderMs = (performance.now() - started) / chunk.length
        const costMs = output.cpuMs === undefined ? renderMs : output.cpuMs / threads / chunk.length
        for (const note of output.notes) {
          if (!notes.has(note)) opts.onNote?.(note)
          notes.add(note)
        }
        for (const frame of chunk) {
          const file = output.files.get(frame)
          if (file === undefined) {
            throw RenderError.RENDER_FAILED(
              `frame ${frame}`,
              `${output.outputTail}\n(no image was written)`,
              output.command,
            )
          }
          await finish(frame, file, renderMs, costMs, output.outputTail)
        }
      } catch (err) {
        failure ??= await translateFailure(err, outDir)
        stop.abort()
        await salvage(request, (frame, file, count) => {
          const renderMs = (performance.now() - started) / count
          return finish(frame, file, renderMs, renderMs, '')
        })
      } finally {
        await rm(request.workDir, { recursive: true, force: true })
      }
    }
  }

  /**
   * Keeps the frames a stopped or failed chunk did finish, so that a resumed run need not
   * render them again. Renderers write frames in order, so every frame before the last one
   * present is whole; the last may be cut short (or written half-rendered on SIGTERM), so it
   * is dropped even when it decodes.
   */
  const salvage = async (
    request: ChunkRequest,
    keep: (frame: number, file: string, count: number) => Promise<void>,
  ) => {
    const written = await adapter.framesWritten(request).catch(() => new Map<number, string>())
    const done = [...written.keys()].filter((frame) => !results.has(frame)).sort((a, b) => a - b)
    done.pop()
    for (const frame of done) await keep(frame, written.get(frame)!, done.length + 1).catch(() => undefined)
  }

  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker))
  if (failure !== undefined) throw opts.signal?.aborted ? RenderError.ABORTED() : failure
  opts.signal?.throwIfAborted()
  return [...results.values()].sort((a, b) => a.frame - b.frame)
}

const CHUNK_PREFIX = '.farm-chunk-'

/**
 * A run killed outright (SIGKILL, power loss) leaves its chunk directories behind. They carry
 * the pid that made them, so a run removes those of dead processes and never another live run's.
 */
async function removeAbandonedChunks(outDir: string): Promise<void> {
  for (const name of await readdir(outDir)) {
    const pid = Number(/^\.farm-chunk-(\d+)-/.exec(name)?.[1])
    if (!pid || isAlive(pid)) continue
    await rm(join(outDir, name), { recursive: true, force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function assertSceneFile(scene: string): Promise<void> {
  try {
    if (!(await stat(scene)).isFile()) throw RenderError.SCENE_NOT_FOUND(scene)
  } catch (err) {
    if (err instanceof RenderError) throw err
    throw RenderError.SCENE_NOT_FOUND(scene)
  }
}

/** Fails early, before any renderer starts, when frames could not be saved. */
async function assertWritable(outDir: string): Promise<void> {
  const probe = join(outDir, `.farm-write-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(outDir, { recursive: true })
    await access(outDir)
    await writeFile(probe, 'farm')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOSPC') throw RenderError.DISK_FULL(outDir)
    throw RenderError.OUTPUT_NOT_WRITABLE(outDir, code ?? String(err))
  } finally {
    await rm(probe, { force: true }).catch(() => undefined)
  }
}

async function keptFrame(
  outDir: string,
  frame: number,
  size: Size | undefined,
): Promise<FrameResult | undefined> {
  const file = join(outDir, frameFileName(frame))
  try {
    const check = await checkFrame(file, size)
    return { frame, file, ...check, renderMs: 0, costMs: 0, resumed: true, outputTail: '' }
  } catch {
    // A truncated or wrong-size image from an interrupted or different run: render it again.
    await rm(file, { force: true })
    return undefined
  }
}

/** Below this much free space a renderer's failure to write is taken for a full disk. */
const NEARLY_FULL_BYTES = 4 * 1024 * 1024

/**
 * Renderers rarely say "no space left": POV-Ray reports "Cannot access data in file", Blender
 * an unwritable image. So a failed render on a nearly full disk is reported as a full disk.
 */
async function translateFailure(err: unknown, outDir: string): Promise<unknown> {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC') return RenderError.DISK_FULL(outDir)
  if (code === 'EACCES' || code === 'EROFS') return RenderError.OUTPUT_NOT_WRITABLE(outDir, code)
  if (err instanceof RenderError && err.code === 'RENDER_FAILED') {
    const fs = await statfs(outDir).catch(() => undefined)
    if (fs && fs.bavail * fs.bsize < NEARLY_FULL_BYTES) return RenderError.DISK_FULL(outDir)
  }
  return err
}
