/**
 * Work units and estimates. 1 WU is one minute of render on the reference machine; a node's
 * WUPM is how many WU it renders per minute. Amounts are integer milli-WU (as the ledger keeps
 * them) so that sums are exact on every node.
 */

/** A frame whose render is known: its WU in milli-WU. */
export interface RenderedFrame {
  frame: number
  milliWU: number
}

export interface JobEstimate {
  framesTotal: number
  framesDone: number
  doneMilliWU: number
  /** Extrapolated from the frames done; undefined until one frame is done. */
  totalMilliWU: number | undefined
  remainingMilliWU: number | undefined
  /** Remaining WU over the WUPM of the workers on the job; undefined when either is unknown. */
  etaMs: number | undefined
}

const MS_PER_MINUTE = 60_000

/** A frame's WU = render minutes x WUPM, in milli-WU. */
export function frameMilliWU(renderMs: number, wupm: number): number {
  return Math.round((renderMs * wupm * 1000) / MS_PER_MINUTE)
}

/** How long a worker of `wupm` takes for `milliWU` of work, in ms. */
export function renderMsFor(milliWU: number, wupm: number): number {
  return (milliWU * MS_PER_MINUTE) / (1000 * effectiveWupm(wupm))
}

/** A worker whose WUPM is not measured yet counts as the reference machine. */
export function effectiveWupm(wupm: number | undefined): number {
  return wupm !== undefined && Number.isFinite(wupm) && wupm > 0 ? wupm : 1
}

/** Milli-credits a worker earns for `milliWU` at `pricePerWU` milli-credits per WU (rounded down: never over-pay). */
export function payment(milliWU: number, pricePerWU: number): number {
  return Math.floor((milliWU * pricePerWU) / 1000)
}

/**
 * The order in which a job's frames should be rendered: a few samples spread over the whole
 * timeline first (first, last, then halves, quarters, ...), so that the first results already
 * say how costly the animation is everywhere; then the rest in timeline order, so the stitcher
 * receives frames roughly in sequence.
 */
export function frameOrder(
  first: number,
  last: number,
  samples = defaultSampleCount(last - first + 1),
): number[] {
  const count = last - first + 1
  const picked = new Set<number>()
  const order: number[] = []
  const pick = (frame: number) => {
    if (order.length < samples && !picked.has(frame)) {
      picked.add(frame)
      order.push(frame)
    }
  }
  pick(first)
  pick(last)
  for (let i = 1; order.length < Math.min(samples, count); i++)
    pick(first + Math.floor(vanDerCorput(i) * count))
  for (let frame = first; frame <= last; frame++) if (!picked.has(frame)) order.push(frame)
  return order
}

/**
 * The frames `farm estimate` renders: `spread` frames over the whole timeline (first, last, then
 * halves, quarters...: distant parts), and the frame after the first, a close pair that shows
 * how much neighbouring frames differ. In timeline order.
 */
export function estimateSamples(
  first: number,
  last: number,
  spread = defaultSampleCount(last - first + 1),
): number[] {
  const picked = new Set(frameOrder(first, last, spread).slice(0, spread))
  if (last > first) picked.add(first + 1)
  return [...picked].sort((a, b) => a - b)
}

/** The WU each frame of `first..last` is expected to take, from the rendered ones (see frameCostModel). */
export function perFrameMilliWU(first: number, last: number, rendered: readonly RenderedFrame[]): number[] {
  const cost = frameCostModel(rendered)
  const known = new Map(rendered.map((r) => [r.frame, r.milliWU]))
  const frames: number[] = []
  for (let n = first; n <= last; n++) frames.push(known.get(n) ?? Math.round(cost ? cost(n) : 0))
  return frames
}

/** About the square root of the frame count: enough to see the cost curve, little enough to start in order soon. */
function defaultSampleCount(frameCount: number): number {
  return Math.min(frameCount, Math.max(2, Math.ceil(Math.sqrt(frameCount))))
}

/** 1/2, 1/4, 3/4, 1/8, 5/8, ...: each new point halves the largest gap left. */
function vanDerCorput(i: number): number {
  let result = 0
  let denominator = 1
  for (let n = i; n > 0; n = Math.floor(n / 2)) {
    denominator *= 2
    result += (n % 2) / denominator
  }
  return result
}

/**
 * The WU a frame is expected to take, interpolated along the timeline between the nearest
 * frames already rendered (costs in an animation change smoothly more often than not), and
 * held flat beyond the first and last of them. Undefined when no frame is rendered yet.
 */
export function frameCostModel(rendered: readonly RenderedFrame[]): ((frame: number) => number) | undefined {
  if (rendered.length === 0) return undefined
  const sorted = [...rendered].sort((a, b) => a.frame - b.frame)
  const frames = sorted.map((r) => r.frame)
  const costs = sorted.map((r) => r.milliWU)
  return (frame) => {
    let lo = 0
    let hi = frames.length - 1
    if (frame <= frames[lo]!) return costs[lo]!
    if (frame >= frames[hi]!) return costs[hi]!
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1
      if (frames[mid]! <= frame) lo = mid
      else hi = mid
    }
    const span = frames[hi]! - frames[lo]!
    const t = span === 0 ? 0 : (frame - frames[lo]!) / span
    return costs[lo]! + t * (costs[hi]! - costs[lo]!)
  }
}

/** Extrapolates a job's total WU from its rendered frames and its ETA from its workers' WUPM. */
export function estimateJob(opts: {
  first: number
  last: number
  rendered: readonly RenderedFrame[]
  workerWupm: readonly number[]
}): JobEstimate {
  const framesTotal = opts.last - opts.first + 1
  const done = new Map<number, number>()
  for (const r of opts.rendered)
    if (r.frame >= opts.first && r.frame <= opts.last) done.set(r.frame, r.milliWU)
  const doneMilliWU = sum(done.values())
  const base = { framesTotal, framesDone: done.size, doneMilliWU }
  const cost = frameCostModel([...done].map(([frame, milliWU]) => ({ frame, milliWU })))
  if (!cost) return { ...base, totalMilliWU: undefined, remainingMilliWU: undefined, etaMs: undefined }
  let remaining = 0
  for (let frame = opts.first; frame <= opts.last; frame++) if (!done.has(frame)) remaining += cost(frame)
  const remainingMilliWU = Math.round(remaining)
  const speed = sum(opts.workerWupm.filter((w) => w > 0))
  return {
    ...base,
    totalMilliWU: doneMilliWU + remainingMilliWU,
    remainingMilliWU,
    etaMs: speed > 0 ? (remainingMilliWU * MS_PER_MINUTE) / (1000 * speed) : undefined,
  }
}

function sum(values: Iterable<number>): number {
  let total = 0
  for (const v of values) total += v
  return total
}
