import * as dagCbor from '@ipld/dag-cbor'
import { sha256, toHex } from './caps.ts'
import { type FrameStatusName, frameStatus, paymentsOf } from './rules.ts'
import type { FarmState, JobRecord, LongestFrame, Settlement } from './state.ts'

/** Readers over FarmState, by the rules of rules.ts. Anything that depends on time takes `now` from the caller. */

/** Hex sha256 of the canonical encoding: equal on every replica holding the same entries. */
export function stateHash(state: FarmState): string {
  return toHex(sha256(dagCbor.encode(state)))
}

export type JobProgress = Record<FrameStatusName, number> & { total: number }

export function jobProgress(job: JobRecord, now: number): JobProgress {
  const progress: JobProgress = { open: 0, claimed: 0, rendered: 0, verified: 0, failed: 0, total: 0 }
  if (!job.spec) return progress
  const { first, last } = job.spec.frames
  progress.total = last - first + 1
  let touched = 0
  for (const key of Object.keys(job.frames)) {
    const n = Number(key)
    if (n < first || n > last) continue
    touched += 1
    progress[frameStatus(job, n, now).status] += 1
  }
  progress.open += progress.total - touched
  return progress
}

export type JobStatusName = 'unknown' | 'queued' | 'running' | 'complete' | Settlement

/**
 * 'unknown': only entries about the job are held, not the job itself; 'complete': every frame
 * verified, waiting for the stitcher.
 */
export function jobStatus(job: JobRecord, now: number): JobStatusName {
  if (!job.spec) return 'unknown'
  if (job.settled) return job.settled
  const progress = jobProgress(job, now)
  if (progress.verified === progress.total) return 'complete'
  if (progress.open === progress.total) return 'queued'
  return 'running'
}

/** A job by id or unique id prefix (users type the first few hex digits). */
export function findJob(state: FarmState, idOrPrefix: string): JobRecord | undefined {
  const exact = state.jobs[idOrPrefix]
  if (exact?.spec) return exact
  const prefix = idOrPrefix.toLowerCase()
  const matches = Object.values(state.jobs).filter((job) => job.spec && job.id.startsWith(prefix))
  return matches.length === 1 ? matches[0] : undefined
}

export function balanceOf(state: FarmState, peer: string): number {
  return state.balances[peer] ?? 0
}

export interface Contributor {
  worker: string
  name: string | null
  owner: string | null
  frames: number
  wu: number
  renderMs: number
  earned: number
}

export interface HallOfFame {
  contributors: Contributor[]
  longestFrame: LongestFrame | null
}

/** Top workers by WU rendered (ties by frames, then peer id), and the longest frame ever rendered. */
export function hallOfFame(state: FarmState, limit = 10): HallOfFame {
  const earned = new Map<string, number>()
  for (const job of Object.values(state.jobs))
    for (const { worker, amount } of paymentsOf(job)) earned.set(worker, (earned.get(worker) ?? 0) + amount)
  const contributors = Object.entries(state.workers)
    .map(([worker, stats]) => ({
      worker,
      name: state.nodes[worker]?.name ?? null,
      owner: state.nodes[worker]?.owner ?? null,
      ...stats,
      earned: earned.get(worker) ?? 0,
    }))
    .sort((a, b) => b.wu - a.wu || b.frames - a.frames || (a.worker < b.worker ? -1 : 1))
    .slice(0, limit)
  return { contributors, longestFrame: state.longestFrame }
}
