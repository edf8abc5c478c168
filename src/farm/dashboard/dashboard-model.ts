/**
 * The dashboard's model (src/tui's DashboardModel) as a pure function of what one node knows at
 * one moment: the ledger's folded state, who is connected, what this worker is doing, and the
 * events it saw. The tui calls it only when it draws, so a flood of entries costs one build.
 */
import {
  claimHolder,
  type FarmState,
  type FrameStatusName,
  forkedAuthors,
  frameStatus,
  type JobProgress,
  type JobRecord,
  type JobStatusName,
  jobProgress,
  jobQueue,
  jobStatus,
  mismatchesOf,
  shortJobId,
} from '../../ledger/index.ts'
import type {
  DashboardModel,
  FrameError,
  FrameState,
  JobDetail,
  JobRow,
  WorkerActivity,
  WorkerRow,
} from '../../tui/index.ts'
import type { FarmEvent } from '../events/events.ts'
import { paneLine } from '../events/log-format.ts'
import { jobPhase } from '../jobs/summary.ts'
import { ownerEnabled } from '../schedule/availability.ts'
import { effectiveWupm, estimateJob } from '../schedule/estimate.ts'
import { stallMessage, whyStalled } from '../schedule/why.ts'
import type { AcceptPolicy, Activity } from '../work/worker.ts'

export interface DashboardModelInput {
  state: FarmState
  self: { id: string; name: string; owner: string }
  /** A short public fingerprint of the swarm (never its key). */
  swarmId: string
  /** Peer ids connected right now. */
  peers: readonly string[]
  /** True when no connected peer is known to hold an entry this node lacks. */
  inSync: boolean
  /** What this node's worker reports it is doing; `job` is a job id. */
  activity: Activity
  paused: boolean
  /** Jobs of other owners this worker takes without an `a`. */
  accept?: AcceptPolicy
  /** Recent events, oldest first. */
  events: readonly FarmEvent[]
  /** The job under the dashboard's cursor; the first job when undefined or gone. */
  selectedJob?: string
  now: number
  /** Frames each worker (peer id) rendered since this node started. */
  sessionFrames: Readonly<Record<string, number>>
  /** Failures the selected job's detail lists (default 20). */
  maxErrors?: number
}

const DEFAULT_MAX_ERRORS = 20

/** A job as this build sees it: its progress is read once, however many rows use it. */
interface ListedJob {
  job: JobRecord
  name: string
  progress: JobProgress
  status: JobStatusName
}

export function dashboardModel(input: DashboardModelInput): DashboardModel {
  const { state, self, now } = input
  const jobs: ListedJob[] = orderedJobs(state).map((job) => ({
    job,
    name: job.spec?.name ?? shortJobId(job.id),
    progress: jobProgress(job, now),
    status: jobStatus(job, now),
  }))
  const names = new Map(jobs.map((j) => [j.job.id, j.name]))
  const selected = (jobs.find((j) => j.job.id === input.selectedJob) ?? jobs[0])?.job
  return {
    header: {
      swarmId: input.swarmId,
      nodeName: self.name,
      owner: self.owner,
      peers: input.peers.length,
      entries: Object.values(state.clock).reduce((sum, seq) => sum + seq, 0),
      inSync: input.inSync,
      balance: ownerBalance(state, self),
      paused: input.paused,
    },
    workers: workerRows(input, jobs, names),
    jobs: jobs.map((listed) => jobRow(input, listed)),
    detail: selected ? jobDetail(state, selected, now, input.maxErrors ?? DEFAULT_MAX_ERRORS) : null,
    log: input.events.filter(worthALine).map(paneLine),
  }
}

/** A sync smaller than this is routine gossip: the header's entry count shows it. */
const NOTABLE_SYNC = 10

function worthALine(event: FarmEvent): boolean {
  return event.type !== 'entries:synced' || event.accepted >= NOTABLE_SYNC
}

/** Jobs still to render in the order workers serve them, then the settled ones, latest first. */
function orderedJobs(state: FarmState): JobRecord[] {
  const settled = Object.values(state.jobs)
    .filter((job) => job.spec && job.author && job.settled)
    .sort((a, b) => b.lamport - a.lamport || (a.id < b.id ? -1 : 1))
  return [...jobQueue(state), ...settled]
}

/** An owner may run several nodes: the header shows what they hold together. */
function ownerBalance(state: FarmState, self: DashboardModelInput['self']): number {
  let total = state.balances[self.id] ?? 0
  for (const [id, node] of Object.entries(state.nodes)) {
    if (id !== self.id && node.owner === self.owner) total += state.balances[id] ?? 0
  }
  return total
}

function ownerOf(state: FarmState, job: JobRecord): string {
  return (job.author && state.nodes[job.author]?.owner) || (job.author ? shortId(job.author) : '?')
}

function shortId(peer: string): string {
  return peer.length > 10 ? `…${peer.slice(-6)}` : peer
}

function workerName(state: FarmState, peer: string): string {
  return state.nodes[peer]?.name ?? shortId(peer)
}

/** Only the node that submitted a job can cancel it: the ledger takes a `cancel` from the payer alone. */
function isOwnJob(input: DashboardModelInput, job: JobRecord): boolean {
  return job.author === input.self.id
}

/** As the worker decides: its own jobs, the accept policy, or an `accept` it wrote (`a`). */
function acceptsJob(input: DashboardModelInput, job: JobRecord): boolean {
  if (isOwnJob(input, job) || job.accepted[input.self.id] !== undefined) return true
  const policy = input.accept ?? []
  return policy === 'all' || policy.includes(ownerOf(input.state, job))
}

function jobRow(input: DashboardModelInput, { job, name, progress, status }: ListedJob): JobRow {
  const spec = job.spec!
  const state_ = jobPhase(status)
  return {
    id: job.id,
    name,
    owner: ownerOf(input.state, job),
    own: isOwnJob(input, job),
    accepted: acceptsJob(input, job),
    renderer: spec.renderer,
    frames: progress.total,
    verified: progress.verified,
    rendering: progress.claimed,
    failed: progress.failed,
    etaMs: state_ === 'queued' || state_ === 'rendering' ? jobEta(input, job) : null,
    state: state_,
    ...stalled(input, job),
  }
}

function stalled(input: DashboardModelInput, job: JobRecord): { stalled?: string } {
  const stall = whyStalled(input.state, job, input.now, new Set([input.self.id, ...input.peers]))
  return stall ? { stalled: stallMessage(stall) } : {}
}

/**
 * Remaining work over the speed of the workers on the job: those holding a frame of it now,
 * or, between two claims, the connected ones that rendered some of it.
 */
function jobEta(input: DashboardModelInput, job: JobRecord): number | null {
  const { state, now } = input
  const spec = job.spec!
  const rendered: { frame: number; milliWU: number }[] = []
  const holders = new Set<string>()
  const renderers = new Set<string>()
  for (const [key, frame] of Object.entries(job.frames)) {
    const result = Object.entries(frame.results)[0]
    if (result) {
      rendered.push({ frame: Number(key), milliWU: result[1].wu })
      renderers.add(result[0])
    }
    const holder = claimHolder(job, frame, now)
    if (holder) holders.add(holder.worker)
  }
  const online = new Set([input.self.id, ...input.peers])
  const workers = holders.size > 0 ? holders : new Set([...renderers].filter((w) => online.has(w)))
  const estimate = estimateJob({
    first: spec.frames.first,
    last: spec.frames.last,
    rendered,
    workerWupm: [...workers].map((w) => effectiveWupm(state.nodes[w]?.wupm)),
  })
  return estimate.etaMs ?? null
}

function workerRows(
  input: DashboardModelInput,
  jobs: readonly ListedJob[],
  names: ReadonlyMap<string, string>,
): WorkerRow[] {
  const { state, self } = input
  const online = new Set([self.id, ...input.peers])
  const busy = othersActivity(input, jobs)
  const forked = new Set(forkedAuthors(state.membership))
  const ids = new Set([self.id, ...Object.keys(state.nodes), ...forked])
  const rows = [...ids].map((id): WorkerRow => {
    const node = state.nodes[id]
    const isSelf = id === self.id
    return {
      id,
      name: isSelf ? self.name : (node?.name ?? shortId(id)),
      owner: isSelf ? self.owner : (node?.owner ?? '?'),
      self: isSelf,
      online: online.has(id),
      activity: isSelf ? selfActivity(input.activity, names) : (busy.get(id) ?? { kind: 'idle' }),
      wupm: node && node.wupm > 0 ? node.wupm : null,
      framesSession: input.sessionFrames[id] ?? 0,
      framesTotal: state.workers[id]?.frames ?? 0,
      // The ledger says nothing of other workers' pause: only this one's is known.
      enabled: isSelf ? !input.paused : ownerEnabled(state, id),
      ...(forked.has(id) ? { forked: true } : {}),
      ...(node?.noSandbox ? { noSandbox: true } : {}),
    }
  })
  return rows.sort(
    (a, b) =>
      Number(b.self) - Number(a.self) ||
      Number(b.online) - Number(a.online) ||
      a.name.localeCompare(b.name) ||
      (a.id < b.id ? -1 : 1),
  )
}

function selfActivity(activity: Activity, names: ReadonlyMap<string, string>): WorkerActivity {
  if (activity.kind === 'idle' || activity.job === undefined) return { kind: 'idle' }
  const job = names.get(activity.job) ?? shortJobId(activity.job)
  if (activity.kind === 'rendering') {
    const frame = activity.frames?.length ? Math.min(...activity.frames) : undefined
    return frame === undefined ? { kind: 'fetching', job } : { kind: 'rendering', job, frame }
  }
  return { kind: activity.kind, job }
}

/**
 * Other workers' doings as the ledger shows them: the lowest frame each holds a live claim on,
 * or the stitching of a job whose frames are all verified and that names it as stitcher.
 */
function othersActivity(input: DashboardModelInput, jobs: readonly ListedJob[]): Map<string, WorkerActivity> {
  const { now } = input
  const busy = new Map<string, WorkerActivity>()
  for (const { job, name, status } of jobs) {
    if (job.settled) continue
    if (status === 'complete' && job.spec) {
      busy.set(job.spec.stitcher, { kind: 'stitching', job: name })
      continue
    }
    for (const [key, frame] of Object.entries(job.frames)) {
      const holder = claimHolder(job, frame, now)
      if (!holder) continue
      const current = busy.get(holder.worker)
      const n = Number(key)
      if (
        current === undefined ||
        (current.kind === 'rendering' && current.job === name && n < current.frame)
      )
        busy.set(holder.worker, { kind: 'rendering', job: name, frame: n })
    }
  }
  return busy
}

const FRAME_STATES: Record<FrameStatusName, FrameState> = {
  open: 'waiting',
  claimed: 'claimed',
  rendered: 'rendered',
  verified: 'verified',
  failed: 'failed',
}

function jobDetail(state: FarmState, job: JobRecord, now: number, maxErrors: number): JobDetail {
  const { first, last } = job.spec!.frames
  const frames: FrameState[] = new Array(last - first + 1).fill('waiting')
  const wu: (number | null)[] = new Array(last - first + 1).fill(null)
  const failures: (FrameError & { key: string })[] = []
  for (const [key, record] of Object.entries(job.frames)) {
    const n = Number(key)
    if (n < first || n > last) continue
    const status = frameStatus(job, n, now)
    frames[n - first] = FRAME_STATES[status.status]
    const worker = status.renderedBy[0]
    const result = worker === undefined ? undefined : record.results[worker]
    if (result) wu[n - first] = result.wu / 1000
    const error = record.lastError
    if (error) {
      failures.push({
        frame: n,
        worker: workerName(state, error.worker),
        attempt: error.attempt,
        message: error.error,
        key: error.key,
      })
    }
  }
  failures.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const mismatches: FrameError[] = mismatchesOf(job).map((m) => ({
    frame: m.frame,
    worker: workerName(state, m.worker),
    attempt: 0,
    mismatch: true,
    message: `mismatch: ${m.kind === 'pixels' ? `pixels ${m.pixelHash.slice(0, 8)} vs verifier's ${m.verifierHash.slice(0, 8)}` : "WU far above the verifier's"} (verifier ${workerName(state, m.verifier)}); ${m.ruling === 'cheat' ? 'blocked, earns nothing' : m.ruling === 'cleared' ? 'cleared by a third render' : 'awaiting a third render'}`,
  }))
  const errors = [...failures.map(({ key: _, ...error }) => error), ...mismatches].slice(-maxErrors)
  return { jobId: job.id, firstFrame: first, frames, wu, errors }
}
