import * as dagCbor from '@ipld/dag-cbor'
import { sha256, toHex } from './caps.ts'
import type { FarmState, FrameRecord, JobRecord, LongestFrame, Settlement, Verdict } from './state.ts'
import { orderKey } from './state.ts'

/** Readers over FarmState. Anything that depends on time takes `now` from the caller. */

import { blockedWorker } from './fold.ts'

export { blockedWorker }

/** Hex sha256 of the canonical encoding: equal on every replica holding the same entries. */
export function stateHash(state: FarmState): string {
  return toHex(sha256(dagCbor.encode(state)))
}

export type FrameStatusName = 'open' | 'claimed' | 'rendered' | 'verified' | 'failed'

export interface FrameStatus {
  status: FrameStatusName
  /** The live claim that wins (earliest lamport, then author), when status is 'claimed'. */
  holder: string | null
  expiresAt: number | null
  failures: number
  /** Workers whose result is not rejected by a verdict. */
  renderedBy: string[]
}

/** The verdicts that count: written by the job's payer or its stitcher. */
export function verdictsOf(job: JobRecord, frame: FrameRecord): Verdict[] {
  return Object.values(frame.verdicts).filter((v) => v.by === job.author || v.by === job.spec?.stitcher)
}

/**
 * Who holds the frame at `now`: among unexpired claims, the earliest by (lamport, author).
 * Workers in `ignore` (those whose result for the frame was rejected) hold nothing.
 */
export function claimHolder(
  frame: FrameRecord | undefined,
  now: number,
  ignore?: ReadonlySet<string>,
): { worker: string; expiresAt: number } | null {
  if (!frame) return null
  let best: { worker: string; expiresAt: number; key: string } | null = null
  for (const [worker, claim] of Object.entries(frame.claims)) {
    if (claim.expiresAt <= now || ignore?.has(worker)) continue
    const key = orderKey(claim.lamport, worker, 0)
    if (!best || key < best.key) best = { worker, expiresAt: claim.expiresAt, key }
  }
  return best && { worker: best.worker, expiresAt: best.expiresAt }
}

export function frameStatus(job: JobRecord, n: number, now: number): FrameStatus {
  const frame = job.frames[String(n)]
  if (!frame) return { status: 'open', holder: null, expiresAt: null, failures: 0, renderedBy: [] }
  const verdicts = verdictsOf(job, frame)
  const rejected = new Set(verdicts.filter((v) => !v.ok).map((v) => v.worker))
  const renderedBy = Object.keys(frame.results)
    .filter((w) => !rejected.has(w))
    .sort()
  const base = { failures: frame.failures, renderedBy, holder: null, expiresAt: null }
  if (verdicts.some((v) => v.ok)) return { ...base, status: 'verified' }
  if (renderedBy.length > 0) return { ...base, status: 'rendered' }
  if (job.spec && frame.failures >= job.spec.attempts) return { ...base, status: 'failed' }
  // A worker whose image was rejected must not keep the frame from the others until its lease ends.
  const holder = claimHolder(frame, now, rejected)
  if (holder) return { ...base, status: 'claimed', holder: holder.worker, expiresAt: holder.expiresAt }
  return { ...base, status: 'open' }
}

/**
 * Frames of a job a worker may claim at `now`: open ones (never claimed, lease expired, or failed
 * fewer times than the attempt limit), none at all if the worker is blocked or the job settled.
 */
export function claimableFrames(job: JobRecord, worker: string, now: number): number[] {
  if (!job.spec || job.settled || blockedWorker(job, worker)) return []
  const frames: number[] = []
  for (let n = job.spec.frames.first; n <= job.spec.frames.last; n++) {
    if (frameStatus(job, n, now).status === 'open') frames.push(n)
  }
  return frames
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

/** Jobs still to render, in queue order: highest price per WU first, then oldest. */
export function jobQueue(state: FarmState): JobRecord[] {
  return Object.values(state.jobs)
    .filter((job) => job.spec && job.author && !job.settled)
    .sort((a, b) => {
      const price = (b.spec?.pricePerWU ?? 0) - (a.spec?.pricePerWU ?? 0)
      if (price !== 0) return price
      const ka = orderKey(a.lamport, a.author ?? '', a.seq)
      const kb = orderKey(b.lamport, b.author ?? '', b.seq)
      return ka < kb ? -1 : ka > kb ? 1 : 0
    })
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
  for (const job of Object.values(state.jobs)) {
    for (const frame of Object.values(job.frames)) {
      if (frame.paid) earned.set(frame.paid.worker, (earned.get(frame.paid.worker) ?? 0) + frame.paid.amount)
    }
  }
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
