import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RenderError } from './errors.ts'
import { type FrameRange, framesOf, type Size } from './frames.ts'
import { tailLines } from './output.ts'
import { BLENDER_REFERENCE_BUILDER, POVRAY_REFERENCE, REFERENCE_VERSION } from './reference-scenes.ts'
import { renderFrames } from './render-frames.ts'
import { type RendererName, runRenderer } from './renderer.ts'

/**
 * What the reference machine needs for each reference render, in seconds. 1 WU is one minute of
 * render on that machine, so WUPM = reference seconds / local seconds.
 *
 * The reference machine is a modest one on purpose: a 2-core x86-64 Debian 12 VM (the machine
 * farm was built on), rendering with farm's default parallelism. Typical desktops then score
 * several WUPM and a Raspberry Pi a fraction of one, which reads naturally on a dashboard.
 * Measured there on 2026-11-21 as the best of 3 runs (POV-Ray 4.11/4.98/5.22 s, Blender
 * 5.47/5.77/11.0 s) while other builds shared the machine (load 2-5), so an idle VM of the same
 * kind scores a little above 1. The scenes take a few seconds: long enough that renderer start-up
 * is a small share, short enough that `farm bench` is not a chore.
 */
export const REFERENCE: Record<RendererName, { seconds: number; frames: FrameRange; size: Size }> = {
  povray: { seconds: 4.1, frames: { first: 1, last: 8 }, size: { width: 320, height: 240 } },
  blender: { seconds: 5.5, frames: { first: 1, last: 4 }, size: { width: 240, height: 180 } },
}

export interface BenchResult {
  renderer: RendererName
  reference: string
  /** Wall seconds this machine took for the reference render. */
  seconds: number
  referenceSeconds: number
  /** Work units per minute: how many reference-machine minutes of render this machine does per minute. */
  wupm: number
}

export function wupmOf(referenceSeconds: number, localSeconds: number): number {
  return referenceSeconds / localSeconds
}

/** Renders the fixed reference scene of one renderer in workDir (which it fills) and times it. */
export async function benchmarkRenderer(
  renderer: RendererName,
  opts: { workDir: string; signal?: AbortSignal },
): Promise<BenchResult> {
  const reference = REFERENCE[renderer]
  await mkdir(opts.workDir, { recursive: true })
  const scene = await writeReferenceScene(renderer, opts.workDir, opts.signal)
  const started = performance.now()
  await renderFrames({
    scene,
    frames: framesOf(reference.frames),
    outDir: join(opts.workDir, `${renderer}-frames`),
    size: reference.size,
    ...(opts.signal ? { signal: opts.signal } : {}),
  })
  const seconds = (performance.now() - started) / 1000
  return {
    renderer,
    reference: REFERENCE_VERSION,
    seconds,
    referenceSeconds: reference.seconds,
    wupm: wupmOf(reference.seconds, seconds),
  }
}

async function writeReferenceScene(
  renderer: RendererName,
  dir: string,
  signal?: AbortSignal,
): Promise<string> {
  if (renderer === 'povray') {
    const scene = join(dir, 'reference.pov')
    await writeFile(scene, POVRAY_REFERENCE)
    return scene
  }
  const builder = join(dir, 'build-reference.py')
  const scene = join(dir, 'reference.blend')
  await writeFile(builder, BLENDER_REFERENCE_BUILDER)
  const run = await runRenderer('blender', ['-b', '--factory-startup', '--python', builder, '--', scene], {
    cwd: dir,
    ...(signal ? { signal } : {}),
  })
  if (run.exitCode !== 0 || !/Saved "reference.blend"/.test(run.output)) {
    throw RenderError.RENDER_FAILED('the Blender reference scene', tailLines(run.output), run.command)
  }
  return scene
}

/** Where `farm bench` keeps its figures, so a node can announce its WUPM without re-measuring. */
export function benchCachePath(home: string): string {
  return join(home, 'cache', 'wupm.json')
}

export async function saveBenchResults(home: string, results: BenchResult[]): Promise<void> {
  const file = benchCachePath(home)
  await mkdir(join(home, 'cache'), { recursive: true })
  const previous = await loadBenchResults(home)
  const merged = {
    ...previous,
    ...Object.fromEntries(results.map((r) => [r.renderer, { ...r, measuredAt: Date.now() }])),
  }
  await writeFile(`${file}.tmp`, `${JSON.stringify(merged, null, 2)}\n`)
  await rename(`${file}.tmp`, file)
}

export type BenchCache = Partial<Record<RendererName, BenchResult & { measuredAt: number }>>

export async function loadBenchResults(home: string): Promise<BenchCache> {
  try {
    return JSON.parse(await readFile(benchCachePath(home), 'utf8')) as BenchCache
  } catch {
    return {}
  }
}
