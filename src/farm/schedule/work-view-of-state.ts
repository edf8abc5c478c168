import {
  blockedWorker,
  type FarmState,
  type FrameRecord,
  frameStatus,
  type JobRecord,
} from '../../ledger/index.ts'
import type { Claim, FrameState, JobState, JobStatus, WorkerState, WorkView } from './work-view.ts'

/**
 * The scheduler's picture of the ledger as this node sees it at `now`. `live` is the set of
 * workers the swarm is connected to (plus this node): only they get frames by rendezvous.
 * `leaseMs` dates claims, whose start the fold does not keep, from their expiry.
 */
export function workViewOf(
  state: FarmState,
  opts: { now: number; live: ReadonlySet<string>; leaseMs: number },
): WorkView {
  const jobs: JobState[] = []
  for (const job of Object.values(state.jobs)) {
    if (!job.spec || !job.author) continue
    jobs.push(jobStateOf(state, job, opts.now, opts.leaseMs))
  }
  const workers: WorkerState[] = Object.entries(state.nodes).map(([id, node]) => ({
    id,
    renderers: node.renderers.map((r) => r.name),
    wupm: node.wupm,
    live: opts.live.has(id),
  }))
  return { now: opts.now, jobs, workers }
}

function jobStateOf(state: FarmState, job: JobRecord, now: number, leaseMs: number): JobState {
  const spec = job.spec!
  const frames: FrameState[] = []
  for (let n = spec.frames.first; n <= spec.frames.last; n++) {
    frames.push(frameStateOf(job, n, job.frames[String(n)], now, leaseMs))
  }
  return {
    id: job.id,
    renderer: spec.renderer,
    status: statusOf(job),
    pricePerWU: spec.pricePerWU,
    ownerBalance: state.balances[job.author!] ?? 0,
    createdAt: job.ts,
    attempts: spec.attempts,
    // A worker blocked after three failures is no longer on the job, for everyone's view alike.
    accepted: Object.keys(job.accepted).filter((w) => !blockedWorker(job, w)),
    first: spec.frames.first,
    last: spec.frames.last,
    frames,
  }
}

function statusOf(job: JobRecord): JobStatus {
  return job.settled ?? 'active'
}

function frameStateOf(
  job: JobRecord,
  n: number,
  record: FrameRecord | undefined,
  now: number,
  leaseMs: number,
): FrameState {
  if (!record) return { frame: n, done: false, claims: [], failedBy: [] }
  const status = frameStatus(job, n, now)
  const done = status.status === 'rendered' || status.status === 'verified'
  const result = status.renderedBy.map((w) => record.results[w]).find((r) => r !== undefined)
  const rejected = Object.keys(record.results).filter((w) => !status.renderedBy.includes(w))
  const claims: Claim[] = Object.entries(record.claims)
    .filter(([worker]) => !rejected.includes(worker))
    .map(([worker, c]) => ({
      worker,
      lamport: c.lamport,
      at: c.expiresAt - leaseMs,
      expiresAt: c.expiresAt,
    }))
  // The fold keeps a frame's failure count and its last failing worker, not each worker.
  const failedBy: string[] = []
  if (record.failures > 0 && record.lastError) {
    for (let i = 1; i < record.failures; i++) failedBy.push('')
    failedBy.push(record.lastError.worker)
  }
  return { frame: n, done, ...(result ? { milliWU: result.wu } : {}), claims, failedBy }
}
