import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  defaultParallelism,
  loadBenchResults,
  rendererForScene,
  renderFrames,
  type Size,
} from '../../render/index.ts'
import { estimateSamples, frameMilliWU, payment, perFrameMilliWU } from '../schedule/estimate.ts'

/** What `farm estimate` asks: a scene, its frames and size, and what to price and time it by. */
export interface EstimateRequest {
  scene: string
  first: number
  last: number
  size: Size
  /** Frames spread over the timeline (default about the square root of the frame count). */
  spread?: number
  /** Milli-credits per WU the job would pay. */
  pricePerWU: number
  /** This machine's WUPM (else $FARM_WUPM, the `farm bench` cache in `home`, or 1). */
  wupm?: number
  home?: string
  /** WUPM of the workers that would render it; default this machine alone. */
  workerWupm?: readonly number[]
  signal?: AbortSignal
  onSample?: (sample: EstimateSample) => void
}

export interface EstimateSample {
  frame: number
  /** The renderer's own CPU time for the frame, over its threads: its render time on this machine when idle. */
  renderMs: number
  milliWU: number
}

export interface Estimate {
  first: number
  last: number
  size: Size
  samples: EstimateSample[]
  /** Milli-WU of every frame, measured or interpolated, in timeline order. */
  perFrame: number[]
  totalMilliWU: number
  pricePerWU: number
  /** Milli-credits the whole job would cost at its price. */
  cost: number
  wupm: number
  workerWupm: number[]
  /** The total over the workers' summed WUPM. */
  etaMs: number
}

/**
 * Renders a few frames of the scene on this machine, one renderer process each, measures each
 * one's own CPU time (a shared machine's wall clock would count its other users), and
 * extrapolates the whole timeline's WU, its cost and how long the workers would take.
 */
export async function estimateLocally(request: EstimateRequest): Promise<Estimate> {
  const renderer = rendererForScene(request.scene)
  const wupm = request.wupm ?? (await localWupm(renderer, request.home))
  const threads = defaultParallelism(renderer, 1, renderer === 'povray' ? 1 : availableParallelism()).threads
  const outDir = await mkdtemp(join(tmpdir(), 'farm-estimate-'))
  const samples: EstimateSample[] = []
  try {
    for (const frame of estimateSamples(request.first, request.last, request.spread)) {
      const [result] = await renderFrames({
        scene: request.scene,
        frames: [frame],
        animation: { first: request.first, last: request.last },
        size: request.size,
        outDir,
        jobs: 1,
        chunk: 1,
        threads,
        ...(request.signal ? { signal: request.signal } : {}),
      })
      const renderMs = result?.costMs ?? 0
      const sample = { frame, renderMs: Math.round(renderMs), milliWU: frameMilliWU(renderMs, wupm) }
      samples.push(sample)
      request.onSample?.(sample)
    }
  } finally {
    await rm(outDir, { recursive: true, force: true })
  }
  const perFrame = perFrameMilliWU(request.first, request.last, samples)
  const totalMilliWU = perFrame.reduce((a, b) => a + b, 0)
  const workerWupm = [...(request.workerWupm?.length ? request.workerWupm : [wupm])]
  const speed = workerWupm.reduce((a, b) => a + b, 0)
  return {
    first: request.first,
    last: request.last,
    size: request.size,
    samples,
    perFrame,
    totalMilliWU,
    pricePerWU: request.pricePerWU,
    cost: payment(totalMilliWU, request.pricePerWU),
    wupm,
    workerWupm,
    etaMs: speed > 0 ? (totalMilliWU * 60_000) / (1000 * speed) : 0,
  }
}

async function localWupm(renderer: 'povray' | 'blender', home: string | undefined): Promise<number> {
  const env = Number(process.env.FARM_WUPM)
  if (Number.isFinite(env) && env > 0) return env
  if (home !== undefined) {
    const cached = (await loadBenchResults(home))[renderer]?.wupm
    if (cached !== undefined && cached > 0) return cached
  }
  return 1
}
