import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type FarmState,
  frameStatus,
  hallOfFame,
  type JobProgress,
  type JobRecord,
  jobProgress,
  jobStatus,
} from '../../ledger/index.ts'
import { FarmError } from '../errors.ts'
import type { JobSpec } from '../jobs/submit.ts'
import type { FarmNode } from '../node.ts'

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
  status: string
  progress: JobProgress
  video: string | null
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
}

/** The control-socket methods behind `farm submit`, `jobs`, `status`, `workers`, `fetch`, `cancel`, `logs`, `credits`. */
export function registerFarmMethods(node: FarmNode): void {
  node.handle('submit', async (params) => ({ id: await node.submit(params as unknown as JobSpec) }))
  node.handle('jobs', async () =>
    Object.values(node.state().jobs)
      .filter((job) => job.spec)
      .sort((a, b) => a.ts - b.ts)
      .map((job) => summaryOf(node.state(), job)),
  )
  node.handle('job', async (params) => detailOf(node.state(), node.job(String(params.id))))
  node.handle('workers', async () => workersOf(node))
  node.handle('cancel', async (params) => {
    await node.cancel(String(params.id))
    return summaryOf(node.state(), node.job(String(params.id)))
  })
  node.handle('fetch', async (params) => {
    const job = node.job(String(params.id))
    const summary = summaryOf(node.state(), job)
    if (summary.video === null) return { ...summary, path: null }
    const stitcher = Object.keys(job.stitchedBy).find((by) => job.stitchedBy[by] === summary.video)
    const path = await node.swarm
      .fetchBlob(summary.video, stitcher && stitcher !== node.id ? { from: stitcher } : {})
      .catch(() => node.swarm.fetchBlob(summary.video!))
    return { ...summary, path }
  })
  node.handle('logs', async (params) => {
    const job = node.job(String(params.id))
    const n = Number(params.frame)
    const frame = job.frames[String(n)]
    if (!job.spec || !Number.isInteger(n) || n < job.spec.frames.first || n > job.spec.frames.last)
      throw FarmError.BAD_JOB(
        `frame ${params.frame} is not in job ${job.id.slice(0, 12)} (frames ${job.spec?.frames.first}-${job.spec?.frames.last})`,
      )
    const local = await readFile(join(node.home, 'jobs', job.id, 'logs', `${n}.log`), 'utf8').catch(
      () => undefined,
    )
    return {
      job: job.id,
      frame: n,
      failures: frame?.failures ?? 0,
      lastError: frame?.lastError
        ? { worker: frame.lastError.worker, attempt: frame.lastError.attempt, error: frame.lastError.error }
        : null,
      localLog: local ?? null,
    }
  })
  node.handle('credits', async () => {
    const state = node.state()
    const balances = Object.entries(state.balances)
      .map(([id, balance]) => ({
        id,
        name: state.nodes[id]?.name ?? null,
        owner: state.nodes[id]?.owner ?? null,
        balance,
      }))
      .sort((a, b) => b.balance - a.balance || (a.id < b.id ? -1 : 1))
    return { balances, hallOfFame: hallOfFame(state) }
  })
}

export function summaryOf(state: FarmState, job: JobRecord): JobSummary {
  const spec = job.spec!
  const now = Date.now()
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
    status: jobStatus(job, now),
    progress: jobProgress(job, now),
    video,
  }
}

function detailOf(state: FarmState, job: JobRecord): JobDetail {
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
  return { ...summaryOf(state, job), frames, failed }
}

function workersOf(node: FarmNode): WorkerSummary[] {
  const state = node.state()
  const live = new Set([node.id, ...node.peers().map((p) => p.id)])
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
    }))
    .sort((a, b) => Number(b.live) - Number(a.live) || a.name.localeCompare(b.name))
}
