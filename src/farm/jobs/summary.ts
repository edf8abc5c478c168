import {
  blockedWorker,
  type FarmState,
  frameStatus,
  type HallOfFame,
  hallOfFame,
  type JobProgress,
  type JobRecord,
  type JobStatusName,
  jobProgress,
  jobStatus,
  shortJobId,
} from '../../ledger/index.ts'
import { FarmError } from '../errors.ts'
import { type Unavailable, unavailable } from '../schedule/availability.ts'
import { effectiveWupm, estimateJob } from '../schedule/estimate.ts'
import { formatHours } from '../schedule/hours.ts'
import { stallMessage, whyStalled } from '../schedule/why.ts'
import { type JobVerification, verificationOf, worstOf } from './verification.ts'

/** One job as `farm jobs` and `farm status` show it. */
export interface JobSummary {
  id: string
  name: string
  renderer: string
  owner: string
  author: string
  stitcher: string
  first: number
  last: number
  size: string
  status: JobStatusName
  /** The status in the words of the dashboard and the web page. */
  phase: JobPhase
  progress: JobProgress
  /** The stitched output's blob: a video, or for a still in tiles (`still`) a PNG. */
  video: string | null
  /** Price, budget, escrow, what was paid and checked, and the mismatches caught. */
  verification: JobVerification
  /** A still split into tiles: its frame and grid; the job's frames are its tiles. */
  still: { frame: number; tiles: string } | null
  /** The renderer version the job holds workers to (major.minor), null when any will do. */
  rendererVersion: string | null
  /** Why nobody renders it now (see schedule/why.ts), in a user's words; null while someone can. */
  stalled: string | null
}

export interface FailedFrame {
  frame: number
  worker: string
  workerName: string | null
  attempt: number
  failures: number
  error: string
}

export interface JobDetail extends JobSummary {
  /** pixelHash: of the image its worker reported (verified once status is 'verified'). */
  frames: { frame: number; status: string; worker: string | null; pixelHash: string | null }[]
  failed: FailedFrame[]
  /** WU per frame (null: not rendered yet), the total extrapolated from them and the ETA, as the dashboard shows. */
  estimate: {
    wu: (number | null)[]
    totalWU: number | null
    etaMs: number | null
    workers: number
  }
}

export interface WorkerSummary {
  id: string
  name: string
  owner: string
  renderers: string[]
  cores: number
  wupm: number
  live: boolean
  frames: number
  wu: number
  balance: number
  /** Mismatch records that name this node, and the jobs it was ruled a cheat on (blocked, unpaid). */
  mismatches: number
  cheatedOn: string[]
  /** It renders other nodes' scenes without a sandbox (`farm join --unsafe-no-sandbox`). */
  noSandbox: boolean
  /** Whether it takes frames now, by its owner's switch, its machine's load and its hours. */
  availability: 'on' | Unavailable
  /** Its owner's limits, as it announced them: `22:00-07:00`, when idle, a price floor. */
  schedule: string | null
  whenIdle: boolean
  minPrice: number | null
}

/** This node, as `farm status` without a job shows it. */
export interface NodeStatus {
  id: string
  name: string
  owner: string
  addresses: string[]
  peers: number
}

/** What `farm logs JOB FRAME` shows: the ledger's tail of the error, and the full log when this node rendered it. */
export interface FrameLogs {
  job: string
  frame: number
  failures: number
  lastError: { worker: string; attempt: number; error: string } | null
  localLog: string | null
}

export interface Credits {
  balances: { id: string; name: string | null; owner: string | null; balance: number }[]
  /** Milli-credits the genesis granted: the balances and what jobs hold in escrow always sum to it. */
  granted: number
  escrow: number
  hallOfFame: HallOfFame
}

/** A job's status as people who watch it say it: a complete job is being stitched, a stitched one is done. */
export type JobPhase = 'queued' | 'rendering' | 'stitching' | 'done' | 'failed' | 'cancelled'

const PHASES: Record<JobStatusName, JobPhase> = {
  unknown: 'queued',
  queued: 'queued',
  running: 'rendering',
  complete: 'stitching',
  stitched: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
}

export function jobPhase(status: JobStatusName): JobPhase {
  return PHASES[status]
}

/** `live`: the workers connected now, so a job whose workers are all gone says so. */
export function summaryOf(state: FarmState, job: JobRecord, live?: ReadonlySet<string>): JobSummary {
  const spec = job.spec!
  const now = Date.now()
  const status = jobStatus(job, now)
  const video = job.stitchedBy[spec.stitcher] ?? job.stitchedBy[job.author ?? ''] ?? null
  return {
    id: job.id,
    name: spec.name,
    renderer: spec.renderer,
    owner: state.nodes[job.author ?? '']?.owner ?? '',
    author: job.author ?? '',
    stitcher: spec.stitcher,
    first: spec.frames.first,
    last: spec.frames.last,
    size: `${spec.size.width}x${spec.size.height}`,
    status,
    phase: jobPhase(status),
    progress: jobProgress(job, now),
    video,
    verification: verificationOf(state, job),
    still: spec.tiles ? { frame: spec.tiles.frame, tiles: `${spec.tiles.cols}x${spec.tiles.rows}` } : null,
    rendererVersion: spec.anyVersion ? null : (spec.rendererVersion ?? null),
    stalled: stallOf(state, job, now, live),
  }
}

function stallOf(state: FarmState, job: JobRecord, now: number, live?: ReadonlySet<string>): string | null {
  const stall = whyStalled(state, job, now, live)
  return stall ? stallMessage(stall) : null
}

export function detailOf(state: FarmState, job: JobRecord, live?: ReadonlySet<string>): JobDetail {
  const spec = job.spec!
  const now = Date.now()
  const frames: JobDetail['frames'] = []
  const failed: FailedFrame[] = []
  for (let n = spec.frames.first; n <= spec.frames.last; n++) {
    const status = frameStatus(job, n, now)
    const worker = status.holder?.worker ?? status.renderedBy[0] ?? null
    const result = status.renderedBy[0] ? job.frames[String(n)]?.results[status.renderedBy[0]] : undefined
    frames.push({ frame: n, status: status.status, worker, pixelHash: result?.pixelHash ?? null })
    const last = job.frames[String(n)]?.lastError
    if (last) {
      failed.push({
        frame: n,
        worker: last.worker,
        workerName: state.nodes[last.worker]?.name ?? null,
        attempt: last.attempt,
        failures: status.failures,
        error: last.error,
      })
    }
  }
  return { ...summaryOf(state, job, live), frames, failed, estimate: runningEstimate(state, job, now, live) }
}

/**
 * The job's estimate as it runs: WU of the frames rendered, the total extrapolated along the
 * timeline, and the ETA on the workers that accepted it and may render now (connected, when
 * `live` says who is).
 */
function runningEstimate(
  state: FarmState,
  job: JobRecord,
  now: number,
  live: ReadonlySet<string> | undefined,
): JobDetail['estimate'] {
  const { first, last } = job.spec!.frames
  const wu: (number | null)[] = new Array(last - first + 1).fill(null)
  const rendered: { frame: number; milliWU: number }[] = []
  for (const [key, record] of Object.entries(job.frames)) {
    const n = Number(key)
    const by = frameStatus(job, n, now).renderedBy[0]
    const result = by === undefined ? undefined : record.results[by]
    if (!result || n < first || n > last) continue
    wu[n - first] = result.wu / 1000
    rendered.push({ frame: n, milliWU: result.wu })
  }
  const workers = Object.keys(job.accepted).filter(
    (id) =>
      state.nodes[id] !== undefined &&
      !blockedWorker(job, id) &&
      unavailable(state, id, now) === undefined &&
      (live === undefined || live.has(id)),
  )
  const estimate = estimateJob({
    first,
    last,
    rendered,
    workerWupm: workers.map((id) => effectiveWupm(state.nodes[id]!.wupm)),
  })
  return {
    wu,
    totalWU: estimate.totalMilliWU === undefined ? null : estimate.totalMilliWU / 1000,
    etaMs: estimate.etaMs ?? null,
    workers: workers.length,
  }
}

export function workersOf(state: FarmState, live: ReadonlySet<string>, now = Date.now()): WorkerSummary[] {
  return Object.entries(state.nodes)
    .map(([id, n]) => ({
      id,
      name: n.name,
      owner: n.owner,
      renderers: n.renderers.map((r) => (r.version ? `${r.name} ${r.version}` : r.name)),
      cores: n.cores,
      wupm: n.wupm,
      live: live.has(id),
      frames: state.workers[id]?.frames ?? 0,
      wu: (state.workers[id]?.wu ?? 0) / 1000,
      balance: state.balances[id] ?? 0,
      ...worstOf(state, id),
      noSandbox: n.noSandbox === true,
      availability: unavailable(state, id, now) ?? ('on' as const),
      schedule: n.schedule ? formatHours(n.schedule) : null,
      whenIdle: n.whenIdle === true,
      minPrice: n.minPrice ?? null,
    }))
    .sort((a, b) => Number(b.live) - Number(a.live) || a.name.localeCompare(b.name))
}

/** Every node's balance, largest first, and the hall of fame. */
export function creditsOf(state: FarmState): Credits {
  const balances = Object.entries(state.balances)
    .map(([id, balance]) => ({
      id,
      name: state.nodes[id]?.name ?? null,
      owner: state.nodes[id]?.owner ?? null,
      balance,
    }))
    .sort((a, b) => b.balance - a.balance || (a.id < b.id ? -1 : 1))
  const escrow = Object.values(state.jobs).reduce((sum, job) => sum + job.escrow, 0)
  return { balances, granted: state.granted, escrow, hallOfFame: hallOfFame(state) }
}

/** Frame `n` of `job`'s failure record; `localLog` is this node's full log of it, if it rendered it. */
export function frameLogsOf(job: JobRecord, n: number, localLog: string | undefined): FrameLogs {
  const spec = job.spec!
  if (n < spec.frames.first || n > spec.frames.last)
    throw FarmError.BAD_JOB(
      `frame ${n} is not in job ${shortJobId(job.id)} (frames ${spec.frames.first}-${spec.frames.last})`,
    )
  const frame = job.frames[String(n)]
  return {
    job: job.id,
    frame: n,
    failures: frame?.failures ?? 0,
    lastError: frame?.lastError
      ? { worker: frame.lastError.worker, attempt: frame.lastError.attempt, error: frame.lastError.error }
      : null,
    localLog: localLog ?? null,
  }
}
