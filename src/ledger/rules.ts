import type { JobBody, NodeBody } from './bodies.ts'
import type { ClaimRecord, FarmState, FrameRecord, JobRecord, MismatchRecord, Verdict } from './state.ts'
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

/**
 * The longest a claim holds a frame past the claim entry's `ts`, whatever its `leaseMs` says:
 * farm claims with a 2-minute lease and renews it every 40 s, and a slow node may be given
 * `--lease` up to this; 10 minutes is 5 such leases, so a node that dies (or lies, with a `ts`
 * at most MAX_CLOCK_SKEW_MS ahead) keeps a frame from the others 12 minutes at most.
 */
export const MAX_LEASE_MS = 10 * 60_000

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
    expiresAt: claim.ts + Math.min(claim.leaseMs, MAX_LEASE_MS),
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

/**
 * What a worker's announced WUPM counts for in scheduling until its speed is measured on frames
 * of the job a counting verdict accepted: WUPM is against a modest 2-core VM (render/bench.ts),
 * where typical desktops score several and the fastest machines farm has seen about 8. A node
 * announcing more owns no bigger share until it shows it.
 */
export const MAX_UNPROVEN_WUPM = 8

/**
 * A worker's WUPM as its verified frames of the job show it (their WU over their render time),
 * or undefined before one is verified.
 */
export function measuredWupm(job: JobRecord, worker: string): number | undefined {
  let milliWU = 0
  let renderMs = 0
  for (const n in job.frames) {
    const frame = job.frames[n]!
    const result = frame.results[worker]
    if (!result || isEmpty(frame.verdicts)) continue
    if (!verdictsOf(job, frame).some((v) => v.ok && v.worker === worker)) continue
    milliWU += result.wu
    renderMs += result.renderMs
  }
  if (renderMs === 0) return undefined
  return milliWU / 1000 / (renderMs / 60_000)
}

/**
 * The speed scheduling gives a worker on a job (its weight in rendezvous hashing and work
 * stealing): what it announced, but no more than its verified frames show, and before any is
 * verified no more than MAX_UNPROVEN_WUPM. Workers that announce nothing count as the reference.
 */
export function schedulingWupm(job: JobRecord, worker: string, announced: number | undefined): number {
  const said = announced !== undefined && Number.isFinite(announced) && announced > 0 ? announced : 1
  const measured = measuredWupm(job, worker)
  return measured === undefined ? Math.min(said, MAX_UNPROVEN_WUPM) : Math.max(Math.min(said, measured), 0.01)
}

/** Distinct frames of the job each worker failed at least once. */
export function failedFrameCounts(job: JobRecord): Map<string, number> {
  const counts = new Map<string, number>()
  for (const n in job.frames) {
    for (const worker in job.frames[n]!.failedBy) counts.set(worker, (counts.get(worker) ?? 0) + 1)
  }
  return counts
}

/** The mismatch records that count: written by the job's payer or its stitcher, in frame order. */
export function mismatchesOf(job: JobRecord): MismatchRecord[] {
  if (isEmpty(job.mismatches)) return []
  return Object.values(job.mismatches)
    .filter((m) => m.by === job.author || m.by === job.spec?.stitcher)
    .sort((a, b) => a.frame - b.frame || (a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : 0))
}

/** A worker a third render showed to have sent a wrong image (or WU) of the job: a cheat. */
export function cheatedOn(job: JobRecord, worker: string): boolean {
  if (isEmpty(job.mismatches)) return false
  return mismatchesOf(job).some((m) => m.worker === worker && m.ruling === 'cheat')
}

/**
 * Who may render which frame of a job, as verification has it: not a worker whose image of the
 * frame was rejected; not the verifier of an open dispute about the frame (the third render that
 * settles a dispute comes from neither side); and a worker under suspicion (an open dispute names
 * it) only frames that settle someone else's dispute, until its own is settled. Disputes about a
 * worker already ruled a cheat are moot.
 */
export function renderRule(job: JobRecord): (n: number, worker: string) => boolean {
  if (isEmpty(job.mismatches)) return (n, worker) => !rejectedOn(job, n, worker)
  const all = mismatchesOf(job)
  const cheats = new Set(all.filter((m) => m.ruling === 'cheat').map((m) => m.worker))
  const open = all.filter((m) => m.ruling === 'open' && !cheats.has(m.worker))
  const suspects = new Set(open.map((m) => m.worker))
  return (n, worker) => {
    if (rejectedOn(job, n, worker)) return false
    const here = open.filter((m) => m.frame === n)
    if (here.some((m) => m.verifier === worker)) return false
    return !suspects.has(worker) || here.some((m) => m.worker !== worker)
  }
}

function rejectedOn(job: JobRecord, n: number, worker: string): boolean {
  const frame = job.frames[String(n)]
  return frame !== undefined && !isEmpty(frame.verdicts) && rejectedWorkers(job, frame).has(worker)
}

/** A worker an open dispute names (not yet settled by a third render): it takes no new frames of the job meanwhile. */
export function suspectOn(job: JobRecord, worker: string): boolean {
  if (isEmpty(job.mismatches)) return false
  const all = mismatchesOf(job)
  return (
    all.some((m) => m.worker === worker && m.ruling === 'open') &&
    !all.some((m) => m.worker === worker && m.ruling === 'cheat')
  )
}

/** renderRule for one frame and worker. */
export function mayRenderFrame(job: JobRecord, n: number, worker: string): boolean {
  return renderRule(job)(n, worker)
}

/**
 * Who may no longer take frames of a job: a worker that failed MAX_FAILED_FRAMES distinct frames
 * of it (the failure limit), or one ruled a cheat on it.
 */
export function blockedWorker(job: JobRecord, worker: string, counts?: ReadonlyMap<string, number>): boolean {
  if (cheatedOn(job, worker)) return true
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

/**
 * Every payment of the job that stands: each frame's, and those to workers a third render
 * cleared of a dispute about a frame (paid besides the third render).
 */
export function paymentsOf(job: JobRecord): { frame: number; worker: string; amount: number }[] {
  const payments: { frame: number; worker: string; amount: number }[] = []
  for (const [n, frame] of Object.entries(job.frames))
    if (frame.paid) payments.push({ frame: Number(n), worker: frame.paid.worker, amount: frame.paid.amount })
  for (const [slot, amount] of Object.entries(job.clearedPaid)) {
    const at = slot.indexOf(' ')
    payments.push({ frame: Number(slot.slice(0, at)), worker: slot.slice(at + 1), amount })
  }
  return payments
}

/** A job's price per WU in milli-credits: its payer's latest `reprice`, else the job entry's. */
export function jobPrice(job: JobRecord): number {
  return job.reprices[job.author ?? '']?.pricePerWU ?? job.spec?.pricePerWU ?? 0
}

/**
 * Whether the job's payer can pay for one WU at the job's price: from the job's escrow when it
 * has a budget, else from the payer's balance; a free job always can.
 */
export function canPay(state: FarmState, job: JobRecord): boolean {
  const price = jobPrice(job)
  if (price === 0) return true
  if (job.spec?.budget !== undefined) return job.escrow >= price
  return (state.balances[job.author ?? ''] ?? 0) >= price
}

/** Every credit there is: balances plus what jobs hold in escrow. Always equals `state.granted`. */
export function creditsTotal(state: FarmState): number {
  let total = 0
  for (const amount of Object.values(state.balances)) total += amount
  for (const job of Object.values(state.jobs)) total += job.escrow
  return total
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
        (a.pays ? jobPrice(b.job) - jobPrice(a.job) : 0) ||
        a.job.ts - b.job.ts ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    )
    .map(({ job }) => job)
}
