/**
 * Which frame a worker claims next. Each node runs this over its own copy of the ledger's folded
 * state; no node coordinates the others. Frames belong, by weighted rendezvous hashing, to one of
 * the live workers that accepted the job, so workers take different frames and a worker's share
 * follows its speed. A worker that has none of its own left takes frames another worker would
 * reach later than it can finish them (work stealing). Near the end of a job, a worker does not
 * start a frame that a faster worker would still finish sooner: the last frames are what decides
 * when the video is ready. Who holds a frame, the queue order and the failure limit are the
 * ledger's rules (src/ledger/rules.ts), the same the dashboard shows.
 */
import {
  blockedWorker,
  type FarmState,
  type FrameStatusName,
  failedFrameCounts,
  frameStatus,
  type Holder,
  type JobRecord,
  jobQueue,
  type NodeRecord,
  renderRule,
  rendersJob,
  schedulingWupm,
  suspectOn,
} from '../../ledger/index.ts'
import { frameCostModel, frameOrder, type RenderedFrame, renderMsFor } from './estimate.ts'
import { rendezvousScores } from './rendezvous.ts'

/** Steal only frames their owner would not start within this long: claims take a moment to be seen. */
export const DEFAULT_STEAL_MARGIN_MS = 2_000

/**
 * A worker that accepted a job and has claimed nothing of it for this long (farm's default
 * lease, work/worker.ts DEFAULT_LEASE_MS) owns none of its frames: a node that accepts and never
 * claims (dead, stuck, or lying) does not keep the frames rendezvous hashing gives it waiting.
 * Counted from its accept and from the end of its latest lease on the job, by their entries' ts.
 */
export const IDLE_OWNER_MS = 120_000

/** What one node knows when it chooses: the ledger's state, its clock, and who is connected. */
export interface SchedulerInput {
  state: FarmState
  now: number
  /** Workers the swarm is connected to: only they (and the one choosing) get frames by rendezvous. */
  live: ReadonlySet<string>
  /** Jobs the choosing worker leaves alone for now (it could not start them). */
  resting?: ReadonlySet<string>
}

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

/** Why a worker should stop rendering a frame: an image of it already stands, or another worker's claim won. */
export type Abandon = { reason: 'rendered' } | { reason: 'held'; by: string }

/**
 * Whether `worker` should stop rendering frame `n` of `job` at `now`, and why. It then releases
 * its claim (a claim whose lease ends at once), or its claim would hold the frame should the
 * winner die.
 */
export function shouldAbandon(job: JobRecord, n: number, worker: string, now: number): Abandon | undefined {
  const status = frameStatus(job, n, now)
  if (isDone(status.status)) return { reason: 'rendered' }
  if (status.holder && status.holder.worker !== worker) return { reason: 'held', by: status.holder.worker }
  return undefined
}

/** The frame `self` should claim next, over every job in queue order; undefined: nothing worth starting. */
export function nextClaim(
  input: SchedulerInput,
  self: string,
  options: SchedulerOptions = {},
): ClaimChoice | undefined {
  return choose(input, self, options, new Map())
}

/**
 * Up to `count` frames of one job for `self` to claim in one `claim` entry (a chunk for a
 * renderer that starts slowly, or one frame per free slot): each pick sees the ones before it as
 * claimed by `self`.
 */
export function nextClaims(
  input: SchedulerInput,
  self: string,
  count: number,
  options: SchedulerOptions = {},
): ClaimChoice[] {
  const picks: ClaimChoice[] = []
  const picked = new Map<string, Set<number>>()
  while (picks.length < count) {
    const choice = choose(input, self, options, picked)
    if (!choice || (picks.length > 0 && choice.job !== picks[0]!.job)) break
    picks.push(choice)
    picked.set(choice.job, (picked.get(choice.job) ?? new Set()).add(choice.frame))
  }
  return picks
}

/** A node that may render, as the choosing worker sees it. */
interface Candidate {
  id: string
  node: NodeRecord
  live: boolean
}

/** One frame of a job in the queue at `now`, by the ledger's rules. */
interface FrameNow {
  status: FrameStatusName
  holder: Holder | null
  /** The standing image's WU, in milli-WU: what estimation learns from. */
  milliWU: number | undefined
}

function isDone(status: FrameStatusName): boolean {
  return status === 'rendered' || status === 'verified'
}

/** Whether `worker` may render frames of `job` at all: its renderer in a version the job takes, accepted, not blocked. */
function canWorkOn(job: JobRecord, worker: Candidate, failures: ReadonlyMap<string, number>): boolean {
  return (
    rendersJob(worker.node, job.spec!) &&
    job.accepted[worker.id] !== undefined &&
    !blockedWorker(job, worker.id, failures)
  )
}

function choose(
  input: SchedulerInput,
  self: string,
  options: SchedulerOptions,
  picked: ReadonlyMap<string, ReadonlySet<number>>,
): ClaimChoice | undefined {
  const { state, now } = input
  const candidates: Candidate[] = Object.entries(state.nodes).map(([id, node]) => ({
    id,
    node,
    live: input.live.has(id),
  }))
  const me = candidates.find((w) => w.id === self)
  if (!me) return undefined
  const queue = jobQueue(state).filter((job) => !input.resting?.has(job.id))
  const frames = new Map(queue.map((job) => [job.id, framesNow(job, now, self, picked.get(job.id))]))
  const busy = jobsInHand(frames)
  for (const job of queue) {
    const failures = failedFrameCounts(job)
    if (!canWorkOn(job, me, failures)) continue
    // A worker rendering for other jobs only is not on this one: it owns none of its frames (so
    // they are not left waiting for it) and does not count in its end game.
    const onJob = (w: Candidate) => {
      const jobs = busy.get(w.id)
      return !jobs || jobs.has(job.id)
    }
    // A suspect waits for its dispute to be settled: no frame is left waiting for it meanwhile.
    const workers = candidates.filter(
      (w) => w === me || (w.live && canWorkOn(job, w, failures) && onJob(w) && !suspectOn(job, w.id)),
    )
    const choice = chooseInJob(job, frames.get(job.id)!, now, workers, me, options)
    if (choice) return choice
  }
  return undefined
}

/** The job's frames in range order; those `self` just picked count as held by it since `now`. */
function framesNow(
  job: JobRecord,
  now: number,
  self: string,
  picked: ReadonlySet<number> | undefined,
): FrameNow[] {
  const { first, last } = job.spec!.frames
  const frames: FrameNow[] = []
  for (let n = first; n <= last; n++) {
    if (picked?.has(n)) {
      const holder = {
        worker: self,
        lamport: Number.MAX_SAFE_INTEGER,
        since: now,
        seq: 0,
        expiresAt: Infinity,
      }
      frames.push({ status: 'claimed', holder, milliWU: undefined })
      continue
    }
    const { status, holder, renderedBy } = frameStatus(job, n, now)
    const by = renderedBy[0]
    const milliWU = isDone(status) && by !== undefined ? job.frames[String(n)]!.results[by]!.wu : undefined
    frames.push({ status, holder, milliWU })
  }
  return frames
}

/** The jobs each worker holds a frame of. */
function jobsInHand(frames: Map<string, FrameNow[]>): Map<string, Set<string>> {
  const busy = new Map<string, Set<string>>()
  for (const [job, list] of frames) {
    for (const { holder } of list) {
      if (!holder) continue
      const held = busy.get(holder.worker)
      if (held) held.add(job)
      else busy.set(holder.worker, new Set([job]))
    }
  }
  return busy
}

/** Which workers may own frames of the job at `now`: those that accepted or claimed within IDLE_OWNER_MS. */
function ownersNow(job: JobRecord, workers: readonly Candidate[], now: number): boolean[] {
  const active = new Map<string, number>()
  for (const w of workers) active.set(w.id, job.accepted[w.id] ?? Number.NEGATIVE_INFINITY)
  for (const n in job.frames) {
    const claims = job.frames[n]!.claims
    for (const w in claims) {
      const at = active.get(w)
      if (at !== undefined && claims[w]!.expiresAt > at) active.set(w, claims[w]!.expiresAt)
    }
  }
  return workers.map((w) => now - active.get(w.id)! <= IDLE_OWNER_MS)
}

function chooseInJob(
  job: JobRecord,
  frames: readonly FrameNow[],
  now: number,
  workers: readonly Candidate[],
  me: Candidate,
  options: SchedulerOptions,
) {
  const { first, last } = job.spec!.frames
  const selfIndex = workers.indexOf(me)
  const speeds = workers.map((w) => schedulingWupm(job, w.id, w.node.wupm))
  const owns = ownersNow(job, workers, now)
  const totalSpeed = speeds.reduce((a, b) => a + b, 0)
  const fastest = Math.max(...speeds)
  const index = new Map(workers.map((w, i) => [w.id, i]))

  const rendered: RenderedFrame[] = []
  for (const [i, f] of frames.entries())
    if (f.milliWU !== undefined) rendered.push({ frame: first + i, milliWU: f.milliWU })
  const model = frameCostModel(rendered)
  const refMs = (frame: number) => renderMsFor(model ? model(frame) : 1000, 1)

  // What is left, in ms of the reference machine: open frames whole, held ones from where their
  // workers should be now (a tenure counts from its first claim). Each worker is busy until its
  // held frames should be done.
  const busyUntil = new Float64Array(workers.length)
  const open = new Uint8Array(frames.length)
  let remainingRefMs = 0
  for (const [i, f] of frames.entries()) {
    if (f.status === 'open') {
      open[i] = 1
      remainingRefMs += refMs(first + i)
      continue
    }
    if (!f.holder) continue
    const w = index.get(f.holder.worker)
    const speed = w === undefined ? 1 : speeds[w]!
    const left = Math.max(0, f.holder.since + refMs(first + i) / speed - now)
    remainingRefMs += left * speed
    if (w !== undefined && w !== selfIndex) busyUntil[w] = busyUntil[w]! + left
  }
  const jobLeftMs = remainingRefMs / totalSpeed
  // The end-game rule: start a frame only if finishing it does not take longer than the job has
  // left plus what the fastest worker would need for it. Without a cost model every frame is
  // worth starting, so it applies once a sample is in.
  const worthStarting = (w: number, frame: number) =>
    !model || refMs(frame) / speeds[w]! <= jobLeftMs + refMs(frame) / fastest

  const mayRender = renderRule(job)
  const failedOn = (frame: number, worker: string) =>
    job.frames[String(frame)]?.failedBy[worker] !== undefined
  const scores = workers.map((w) => rendezvousScores(job.id, w.id, first, last))
  // A frame that failed, or whose lease ran out, on a worker goes to another worker first (the
  // first may be stuck or dead though still connected); back to it only if no one else is left.
  const ownerOf = (i: number) => {
    const record = job.frames[String(first + i)]
    const passedOver = (id: string) => record !== undefined && (id in record.failedBy || id in record.claims)
    let best = -1
    let bestScore = -1
    for (let pass = 0; pass < 2 && best < 0; pass++) {
      for (let w = 0; w < workers.length; w++) {
        if (!owns[w] || (pass === 0 && passedOver(workers[w]!.id))) continue
        if (!mayRender(first + i, workers[w]!.id)) continue
        const score = scores[w]![i]! * speeds[w]!
        if (score > bestScore) {
          bestScore = score
          best = w
        }
      }
    }
    // Nobody owns it (all idle on the job): whoever asks takes it.
    return best < 0 ? selfIndex : best
  }

  const order = frameOrder(first, last, options.samples)
  const margin = options.stealMarginMs ?? DEFAULT_STEAL_MARGIN_MS
  const ownerClock = Float64Array.from(busyUntil)
  let steal: { frame: number; rank: number } | undefined
  for (const frame of order) {
    const i = frame - first
    if (!open[i]) continue
    const owner = ownerOf(i)
    if (owner === selfIndex) {
      // A frame nobody owns falls to whoever asks, but never to one the verification rule keeps off it.
      if (mayRender(frame, me.id) && worthStarting(selfIndex, frame))
        return { job: job.id, frame, reason: 'own' as const }
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
    if (failedOn(frame, me.id) || !mayRender(frame, me.id)) continue
    const rank = scores[selfIndex]![i]!
    if (!steal || rank > steal.rank) steal = { frame, rank }
  }
  return steal ? { job: job.id, frame: steal.frame, reason: 'stolen' as const } : undefined
}
