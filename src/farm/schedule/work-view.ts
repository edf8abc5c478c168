/**
 * What the scheduler reads: a small, plain picture of jobs, frames, claims and workers, as one
 * node sees them at one moment. The node builds it from the ledger's folded state (and its
 * swarm's liveness), so the scheduler stays a pure function that tests and the scale
 * simulation can feed directly.
 */

/** One `claim` entry for one frame. A renewal is another claim by the same worker. */
export interface Claim {
  worker: string
  /** The entry's Lamport clock: with the worker id, it orders conflicting claims. */
  lamport: number
  /** The entry's timestamp (ms). */
  at: number
  /** `at` + the lease; a release is a claim whose lease is 0. */
  expiresAt: number
}

export interface FrameState {
  frame: number
  /** Rendered (and not rejected by the stitcher): nobody claims it again. */
  done: boolean
  /** The frame's WU once rendered, in milli-WU: what estimation learns from. */
  milliWU?: number
  claims: readonly Claim[]
  /** The worker of each failed attempt, one entry per `failed`. */
  failedBy: readonly string[]
}

export type JobStatus = 'active' | 'stitched' | 'failed' | 'cancelled'

export interface JobState {
  id: string
  renderer: string
  status: JobStatus
  /** Milli-credits per WU. */
  pricePerWU: number
  /** The submitter's balance, milli-credits. */
  ownerBalance: number
  /** Submission time (ms): older jobs go first among equal prices. */
  createdAt: number
  /** Attempts a frame gets before it counts as failed for good. */
  attempts: number
  /** Workers that wrote an `accept` for this job. */
  accepted: readonly string[]
  first: number
  last: number
  /** frames[i] is frame first + i; every frame of the range is present. */
  frames: readonly FrameState[]
}

export interface WorkerState {
  id: string
  renderers: readonly string[]
  /** Measured by `farm bench`; 0 or missing counts as the reference machine. */
  wupm?: number
  /** Connected or heard from recently, as the node's swarm judges it. */
  live: boolean
}

export interface WorkView {
  now: number
  jobs: readonly JobState[]
  workers: readonly WorkerState[]
}
