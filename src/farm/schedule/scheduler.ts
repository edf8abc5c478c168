/**
 * Which frame a worker claims next. Each node runs this over its own view of the ledger; no
 * node coordinates the others. Frames belong, by weighted rendezvous hashing, to one of the live
 * workers that accepted the job, so workers take different frames and a worker's share follows
 * its speed. A worker that has none of its own left takes frames another worker would reach
 * later than it can finish them (work stealing). Near the end of a job, a worker does not start
 * a frame that a faster worker would still finish sooner: the last frames are what decides when
 * the video is ready.
 */
import { effectiveWupm, frameCostModel, frameOrder, type RenderedFrame, renderMsFor } from './estimate.ts'
import { rendezvousScores } from './rendezvous.ts'
import type { Claim, FrameState, JobState, WorkerState, WorkView } from './work-view.ts'

/** A worker that failed this many frames of a job stops taking that job. */
export const MAX_WORKER_FAILURES = 3

/** Steal only frames their owner would not start within this long: claims take a moment to be seen. */
export const DEFAULT_STEAL_MARGIN_MS = 2_000

export interface SchedulerOptions {
  /** Frames sampled across the timeline before the rest (default: about sqrt(frames)). */
  samples?: number
  stealMarginMs?: number
}

export interface ClaimChoice {
  job: string
  frame: number
  /** `own`: the frame hashes to this worker; `stolen`: another's, that this worker will finish sooner. */
  reason: 'own' | 'stolen'
}

/**
 * The claim that holds a frame now, if any. A worker's claims on a frame form one tenure while
 * each renewal lands before the previous lease expired; a tenure counts from its first claim and
 * lasts until its last claim's lease expires. Of two live tenures, the earlier (lamport, worker)
 * wins: the other worker must stop.
 */
export function claimHolder(claims: readonly Claim[], now: number): Claim | undefined {
  if (claims.length <= 1) return claims[0] && claims[0].expiresAt > now ? claims[0] : undefined
  const byWorker = new Map<string, Claim[]>()
  for (const claim of claims) {
    const list = byWorker.get(claim.worker)
    if (list) list.push(claim)
    else byWorker.set(claim.worker, [claim])
  }
  let holder: Claim | undefined
  for (const list of byWorker.values()) {
    list.sort((a, b) => a.at - b.at || a.lamport - b.lamport || a.expiresAt - b.expiresAt)
    let start = list[0]!
    let expiresAt = start.expiresAt
    for (const claim of list.slice(1)) {
      if (claim.at > expiresAt) start = claim
      expiresAt = claim.expiresAt
    }
    if (expiresAt <= now) continue
    const tenure = { worker: start.worker, lamport: start.lamport, at: start.at, expiresAt }
    if (!holder || compareClaims(tenure, holder) < 0) holder = tenure
  }
  return holder
}

function compareClaims(a: Claim, b: Claim): number {
  return a.lamport - b.lamport || (a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : 0)
}

/**
 * True when `worker` should stop rendering `frame`: it is done, or another worker's claim won.
 * The worker then releases its claim (a claim with lease 0), or its claim would hold the frame
 * should the winner die.
 */
export function shouldAbandon(frame: FrameState, worker: string, now: number): boolean {
  if (frame.done) return true
  const holder = claimHolder(frame.claims, now)
  return holder !== undefined && holder.worker !== worker
}

/** Distinct frames of the job each worker failed. */
export function failureCounts(job: JobState): Map<string, number> {
  const counts = new Map<string, number>()
  for (const frame of job.frames) {
    if (frame.failedBy.length === 0) continue
    for (const worker of new Set(frame.failedBy)) counts.set(worker, (counts.get(worker) ?? 0) + 1)
  }
  return counts
}

/**
 * Jobs in the order workers serve them: highest price per WU first, then the oldest. A job whose
 * owner cannot pay for one WU runs at price 0 only when nothing else waits, so it goes last.
 */
export function jobQueue(jobs: readonly JobState[]): JobState[] {
  const canPay = (job: JobState) => job.pricePerWU === 0 || job.ownerBalance >= job.pricePerWU
  return jobs
    .filter((job) => job.status === 'active')
    .sort(
      (a, b) =>
        Number(canPay(b)) - Number(canPay(a)) ||
        (canPay(a) ? b.pricePerWU - a.pricePerWU : 0) ||
        a.createdAt - b.createdAt ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
}

/** Whether `worker` may render frames of `job` at all. */
export function canWorkOn(job: JobState, worker: WorkerState, failures = failureCounts(job)): boolean {
  return (
    worker.renderers.includes(job.renderer) &&
    job.accepted.includes(worker.id) &&
    (failures.get(worker.id) ?? 0) < MAX_WORKER_FAILURES
  )
}

/** The frame `self` should claim next, over every job in queue order; undefined: nothing worth starting. */
export function nextClaim(
  view: WorkView,
  self: string,
  options: SchedulerOptions = {},
): ClaimChoice | undefined {
  const me = view.workers.find((w) => w.id === self)
  if (!me) return undefined
  const queue = jobQueue(view.jobs)
  const holders = new Map(
    queue.map((job) => [
      job.id,
      job.frames.map((f) => (f.done ? undefined : claimHolder(f.claims, view.now))),
    ]),
  )
  const busy = jobsInHand(holders)
  for (const job of queue) {
    const failures = failureCounts(job)
    if (!canWorkOn(job, me, failures)) continue
    // A worker rendering for other jobs only is not on this one: it owns none of its frames (so
    // they are not left waiting for it) and does not count in its end game.
    const onJob = (w: WorkerState) => {
      const jobs = busy.get(w.id)
      return !jobs || jobs.has(job.id)
    }
    const workers = view.workers.filter(
      (w) => w === me || (w.live && canWorkOn(job, w, failures) && onJob(w)),
    )
    const choice = chooseInJob(job, holders.get(job.id)!, view.now, workers, me, options)
    if (choice) return choice
  }
  return undefined
}

/** The jobs each worker holds a live claim in. */
function jobsInHand(holders: Map<string, (Claim | undefined)[]>): Map<string, Set<string>> {
  const busy = new Map<string, Set<string>>()
  for (const [job, frames] of holders) {
    for (const holder of frames) {
      if (!holder) continue
      const held = busy.get(holder.worker)
      if (held) held.add(job)
      else busy.set(holder.worker, new Set([job]))
    }
  }
  return busy
}

/**
 * Up to `count` frames of one job for `self` to claim in one `claim` entry (a chunk for a
 * renderer that starts slowly, or one frame per free slot): each pick sees the ones before it as
 * claimed by `self`.
 */
export function nextClaims(
  view: WorkView,
  self: string,
  count: number,
  options: SchedulerOptions = {},
): ClaimChoice[] {
  const picks: ClaimChoice[] = []
  let jobs = view.jobs
  while (picks.length < count) {
    const choice = nextClaim({ ...view, jobs }, self, options)
    if (!choice || (picks.length > 0 && choice.job !== picks[0]!.job)) break
    picks.push(choice)
    const provisional = {
      worker: self,
      lamport: Number.MAX_SAFE_INTEGER,
      at: view.now,
      expiresAt: Number.POSITIVE_INFINITY,
    }
    jobs = jobs.map((job) =>
      job.id !== choice.job
        ? job
        : {
            ...job,
            frames: job.frames.map((f) =>
              f.frame === choice.frame ? { ...f, claims: [...f.claims, provisional] } : f,
            ),
          },
    )
  }
  return picks
}

function chooseInJob(
  job: JobState,
  holders: readonly (Claim | undefined)[],
  now: number,
  workers: readonly WorkerState[],
  me: WorkerState,
  options: SchedulerOptions,
) {
  const selfIndex = workers.indexOf(me)
  const speeds = workers.map((w) => effectiveWupm(w.wupm))
  const totalSpeed = speeds.reduce((a, b) => a + b, 0)
  const fastest = Math.max(...speeds)
  const index = new Map(workers.map((w, i) => [w.id, i]))

  const rendered: RenderedFrame[] = []
  for (const f of job.frames)
    if (f.done && f.milliWU !== undefined) rendered.push({ frame: f.frame, milliWU: f.milliWU })
  const model = frameCostModel(rendered)
  const refMs = (frame: number) => renderMsFor(model ? model(frame) : 1000, 1)

  // What is left, in ms of the reference machine: open frames whole, claimed ones from where
  // their workers should be now. Each worker is busy until its claimed frames should be done.
  const busyUntil = new Float64Array(workers.length)
  const open = new Uint8Array(job.frames.length)
  let remainingRefMs = 0
  for (const [i, f] of job.frames.entries()) {
    if (f.done || f.failedBy.length >= job.attempts) continue
    const holder = holders[i]
    if (!holder) {
      open[i] = 1
      remainingRefMs += refMs(f.frame)
      continue
    }
    const w = index.get(holder.worker)
    const speed = w === undefined ? 1 : speeds[w]!
    const left = Math.max(0, holder.at + refMs(f.frame) / speed - now)
    remainingRefMs += left * speed
    if (w !== undefined && w !== selfIndex) busyUntil[w] = busyUntil[w]! + left
  }
  const jobLeftMs = remainingRefMs / totalSpeed
  // The end-game rule: start a frame only if finishing it does not take longer than the job has
  // left plus what the fastest worker would need for it. Without a cost model every frame is
  // worth starting, so it applies once a sample is in.
  const worthStarting = (w: number, frame: number) =>
    !model || refMs(frame) / speeds[w]! <= jobLeftMs + refMs(frame) / fastest

  const scores = workers.map((w) => rendezvousScores(job.id, w.id, job.first, job.last))
  // A frame that failed, or whose lease ran out, on a worker goes to another worker first (the
  // first may be stuck or dead though still connected); back to it only if no one else is left.
  const ownerOf = (i: number) => {
    const { failedBy, claims } = job.frames[i]!
    const passedOver = (id: string) => failedBy.includes(id) || claims.some((c) => c.worker === id)
    let best = -1
    let bestScore = -1
    for (let pass = 0; pass < 2 && best < 0; pass++) {
      for (let w = 0; w < workers.length; w++) {
        if (pass === 0 && passedOver(workers[w]!.id)) continue
        const score = scores[w]![i]! * speeds[w]!
        if (score > bestScore) {
          bestScore = score
          best = w
        }
      }
    }
    return best
  }

  const order = frameOrder(job.first, job.last, options.samples)
  const margin = options.stealMarginMs ?? DEFAULT_STEAL_MARGIN_MS
  const ownerClock = Float64Array.from(busyUntil)
  let steal: { frame: number; rank: number } | undefined
  for (const frame of order) {
    const i = frame - job.first
    if (!open[i]) continue
    const owner = ownerOf(i)
    if (owner === selfIndex) {
      if (worthStarting(selfIndex, frame)) return { job: job.id, frame, reason: 'own' as const }
      continue
    }
    // When the owner would start and finish this frame, working through its frames in order.
    let ownerStart = Number.POSITIVE_INFINITY
    let ownerDone = Number.POSITIVE_INFINITY
    if (worthStarting(owner, frame)) {
      ownerStart = ownerClock[owner]!
      ownerDone = ownerStart + refMs(frame) / speeds[owner]!
      ownerClock[owner] = ownerDone
    }
    const mine = refMs(frame) / speeds[selfIndex]!
    if (ownerStart < margin || mine >= ownerDone || !worthStarting(selfIndex, frame)) continue
    if (job.frames[i]!.failedBy.includes(me.id)) continue
    const rank = scores[selfIndex]![i]!
    if (!steal || rank > steal.rank) steal = { frame, rank }
  }
  return steal ? { job: job.id, frame: steal.frame, reason: 'stolen' as const } : undefined
}
