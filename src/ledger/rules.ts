import type { JobBody, NodeBody } from './bodies.ts'
import type { ClaimRecord, FarmState, FrameRecord, JobRecord, Verdict } from './state.ts'
import { orderKey } from './state.ts'

/**
 * The farm's rules, each in one place: how claims form a tenure, who holds a frame, what state a
 * frame is in, when a lease has run out, when a worker is blocked from a job, and the order jobs
 * are served in. The fold, its readers, the scheduler, the worker and the dashboard all decide by
 * these functions, so no two of them can disagree. They are pure: anything that depends on time
 * takes `now` from the caller.
 */

/** A worker that failed this many distinct frames of a job is blocked from that job. */
export const MAX_FAILED_FRAMES = 3

/** A lease holds until the instant it expires. */
export function leaseLive(claim: Pick<ClaimRecord, 'expiresAt'>, now: number): boolean {
  return claim.expiresAt > now
}

/**
 * The tenure rule, applied as each claim entry of a worker is folded (a feed's entries come in
 * seq order, and their ts never go back): a claim written no later than the instant the worker's
 * previous lease on the frame expires renews it, and the tenure still counts from its first
 * claim (its lamport and ts); a claim after that starts a new tenure, which queues behind any
 * rival's earlier one. A release is a claim whose lease ends at once.
 */
export function renewClaim(
  prior: ClaimRecord | undefined,
  claim: { lamport: number; seq: number; ts: number; leaseMs: number },
): ClaimRecord {
  const renews = prior !== undefined && claim.ts <= prior.expiresAt
  return {
    lamport: renews ? prior.lamport : claim.lamport,
    since: renews ? prior.since : claim.ts,
    seq: claim.seq,
    expiresAt: claim.ts + claim.leaseMs,
  }
}

/** The tenure that holds a frame, and whose it is. */
export interface Holder extends ClaimRecord {
  worker: string
}

/** The verdicts that count: written by the job's payer or its stitcher. */
export function verdictsOf(job: JobRecord, frame: FrameRecord): readonly Verdict[] {
  if (isEmpty(frame.verdicts)) return NO_VERDICTS
  return Object.values(frame.verdicts).filter((v) => v.by === job.author || v.by === job.spec?.stitcher)
}

const NOBODY: ReadonlySet<string> = new Set()
const NO_VERDICTS: readonly Verdict[] = []

/** Without allocating: the scheduler asks this of every frame of every job each time it chooses. */
function isEmpty(record: Record<string, unknown>): boolean {
  for (const _ in record) return false
  return true
}

/** Workers whose image of the frame a counting verdict rejected. */
export function rejectedWorkers(job: JobRecord, frame: FrameRecord): ReadonlySet<string> {
  return rejectedIn(verdictsOf(job, frame))
}

function rejectedIn(verdicts: readonly Verdict[]): ReadonlySet<string> {
  if (verdicts.every((v) => v.ok)) return NOBODY
  return new Set(verdicts.filter((v) => !v.ok).map((v) => v.worker))
}

/**
 * Who holds the frame at `now`: among live tenures, the earliest by (lamport, worker). A worker
 * whose image of the frame was rejected holds nothing, so it does not keep the frame from the
 * others until its lease ends.
 */
export function claimHolder(job: JobRecord, frame: FrameRecord | undefined, now: number): Holder | null {
  if (!frame) return null
  return holderAmong(frame, now, rejectedWorkers(job, frame))
}

function holderAmong(frame: FrameRecord, now: number, rejected: ReadonlySet<string>): Holder | null {
  let worker: string | undefined
  let best: ClaimRecord | undefined
  for (const w in frame.claims) {
    const claim = frame.claims[w]!
    if (!leaseLive(claim, now) || rejected.has(w)) continue
    if (!best || claim.lamport < best.lamport || (claim.lamport === best.lamport && w < worker!)) {
      worker = w
      best = claim
    }
  }
  return best
    ? { worker: worker!, lamport: best.lamport, since: best.since, seq: best.seq, expiresAt: best.expiresAt }
    : null
}

/** A frame that failed as many times as its job allows attempts is failed for good. */
export function outOfAttempts(spec: JobBody, frame: FrameRecord): boolean {
  return frame.failures >= spec.attempts
}

export type FrameStatusName = 'open' | 'claimed' | 'rendered' | 'verified' | 'failed'

export interface FrameStatus {
  status: FrameStatusName
  /** The tenure that holds the frame, when status is 'claimed'. */
  holder: Holder | null
  failures: number
  /** Workers whose image of the frame is not rejected, in peer id order. */
  renderedBy: string[]
}

/**
 * A frame at `now`: verified once a counting verdict accepts an image, rendered while an image
 * stands unrejected, failed once out of attempts, claimed while a tenure holds it, else open
 * (never claimed, or its leases ran out): open frames are the ones a worker may claim.
 */
export function frameStatus(job: JobRecord, n: number, now: number): FrameStatus {
  const frame = job.frames[String(n)]
  if (!frame) return { status: 'open', holder: null, failures: 0, renderedBy: [] }
  const verdicts = verdictsOf(job, frame)
  const rejected = rejectedIn(verdicts)
  const renderedBy = standing(frame, rejected)
  let status: FrameStatusName
  let holder: Holder | null = null
  if (verdicts.some((v) => v.ok)) status = 'verified'
  else if (renderedBy.length > 0) status = 'rendered'
  else if (job.spec && outOfAttempts(job.spec, frame)) status = 'failed'
  else {
    holder = holderAmong(frame, now, rejected)
    status = holder ? 'claimed' : 'open'
  }
  return { status, holder, failures: frame.failures, renderedBy }
}

/** The workers whose image of the frame stands, in peer id order. */
function standing(frame: FrameRecord, rejected: ReadonlySet<string>): string[] {
  if (isEmpty(frame.results)) return []
  const workers = Object.keys(frame.results)
  const kept = rejected.size === 0 ? workers : workers.filter((w) => !rejected.has(w))
  if (kept.length > 1) kept.sort()
  return kept
}

/** Distinct frames of the job each worker failed at least once. */
export function failedFrameCounts(job: JobRecord): Map<string, number> {
  const counts = new Map<string, number>()
  for (const n in job.frames) {
    for (const worker in job.frames[n]!.failedBy) counts.set(worker, (counts.get(worker) ?? 0) + 1)
  }
  return counts
}

/** The failure limit: a worker that failed MAX_FAILED_FRAMES distinct frames of a job takes no more of it. */
export function blockedWorker(job: JobRecord, worker: string, counts?: ReadonlyMap<string, number>): boolean {
  if (counts) return (counts.get(worker) ?? 0) >= MAX_FAILED_FRAMES
  let failed = 0
  for (const frame of Object.values(job.frames)) if (frame.failedBy[worker] !== undefined) failed += 1
  return failed >= MAX_FAILED_FRAMES
}

/**
 * "3.4.1" -> "3.4". A scene renders the same across a renderer's patch releases, not across its
 * minor ones (Blender changes Cycles' sampling, POV-Ray its parser), so versions match by this.
 */
export function majorMinor(version: string): string | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version)
  return match ? `${Number(match[1])}.${Number(match[2])}` : undefined
}

/** Whether an install (a renderer and its version) may render the job: its renderer, in the version the job names unless it takes any. */
export function rendererFits(spec: JobBody, install: { name: string; version: string }): boolean {
  if (install.name !== spec.renderer) return false
  if (spec.anyVersion === true || spec.rendererVersion === undefined) return true
  return majorMinor(install.version) === majorMinor(spec.rendererVersion)
}

/** Whether a node has an install that may render the job: the scheduler gives frames only to those. */
export function rendersJob(node: Pick<NodeBody, 'renderers'>, spec: JobBody): boolean {
  return node.renderers.some((install) => rendererFits(spec, install))
}

/**
 * Why nobody renders a job: no node among `workers` (default: every node known) has the job's
 * renderer in the version it was made with, though the job holds to that version.
 */
export function noWorkerHasVersion(state: FarmState, job: JobRecord, workers?: Iterable<string>): boolean {
  const spec = job.spec
  if (!spec || spec.anyVersion === true || spec.rendererVersion === undefined) return false
  const ids = workers ? [...workers] : Object.keys(state.nodes)
  return !ids.some((id) => {
    const node = state.nodes[id]
    return node !== undefined && rendersJob(node, spec)
  })
}

/** Whether the job's payer can pay for one WU at the job's price; a free job always can. */
export function canPay(state: FarmState, job: JobRecord): boolean {
  const price = job.spec?.pricePerWU ?? 0
  return price === 0 || (state.balances[job.author ?? ''] ?? 0) >= price
}

/**
 * Jobs still to render, in the order workers serve them: highest price per WU first, then the
 * oldest (by the job entry's ts, then its place in the total order). A job whose payer cannot
 * pay for one WU runs at price 0 only when nothing else waits: such jobs go last, oldest first.
 */
export function jobQueue(state: FarmState): JobRecord[] {
  return Object.values(state.jobs)
    .filter((job) => job.spec && job.author && !job.settled)
    .map((job) => ({ job, pays: canPay(state, job), key: orderKey(job.lamport, job.author!, job.seq) }))
    .sort(
      (a, b) =>
        Number(b.pays) - Number(a.pays) ||
        (a.pays ? b.job.spec!.pricePerWU - a.job.spec!.pricePerWU : 0) ||
        a.job.ts - b.job.ts ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    )
    .map(({ job }) => job)
}
