import type { JobBody, MismatchBody, NodeBody } from './bodies.ts'
import { emptyMembership, type MembershipRecords } from './membership.ts'

/**
 * The shape and meaning of the folded state, as stored in LevelDB. Bumped whenever the fold
 * changes what it keeps: a store written under another version is re-folded from its entries
 * when it is opened (1: before claims kept their tenure's start and frames who failed them; 2:
 * before membership decided which authors count; 3: before fork proofs cut feeds, leases were
 * capped, escrow, mismatches, reprices and sample commitments; 4: before nodes said they render
 * unsandboxed, jobs carried a frame timeout, renderer versions, tiles, per-file scenes and
 * owners' toggles; 5: before a failed job returned its escrow and a cleared worker was paid).
 */
export const STATE_VERSION = 6

/** Author peer id (base58btc, as peerId.toString()) -> highest seq held; feeds start at seq 1. */
export type Clock = Record<string, number>

/**
 * The folded state. Every field is a function of the SET of entries held, never of the order
 * they arrived in, so two replicas with the same entries encode it to the same bytes
 * (see stateHash). Records are keyed by strings (peer ids, job ids, frame numbers) and hold no
 * undefined, so the canonical dag-cbor encoding is well defined.
 */
export interface FarmState {
  clock: Clock
  /** Highest Lamport clock of any entry held; the next local entry gets this + 1. */
  lamport: number
  nodes: Record<string, NodeRecord>
  jobs: Record<string, JobRecord>
  /** Worker figures for the hall of fame, from `rendered` entries. */
  workers: Record<string, WorkerStats>
  /** Milli-credits per peer id; never negative, and they always sum to `granted`. */
  balances: Record<string, number>
  granted: number
  longestFrame: LongestFrame | null
  /** author -> day (YYYY-MM-DD) -> what that node captured that day. */
  captures: Record<string, Record<string, CaptureDay>>
  /** Money is folded in total order (lamport, author, seq): the key of the last money entry folded. */
  moneyCursor: string
  /** Every `admit` and `revoke` held and the genesis roots: whose entries count (membership.ts). */
  membership: MembershipRecords
  /** Worker -> `${author} ${cause}` -> the latest `toggle` that author wrote about it for that cause. */
  toggles: Record<string, Record<string, ToggleRecord>>
}

export interface ToggleRecord {
  author: string
  cause: 'owner' | 'busy'
  on: boolean
  /** The entry's place in the total order (orderKey): the latest counts. */
  key: string
  ts: number
}

export interface NodeRecord extends NodeBody {
  seq: number
  ts: number
}

export interface WorkerStats {
  frames: number
  wu: number
  renderMs: number
}

export interface LongestFrame {
  job: string
  frame: number
  worker: string
  renderMs: number
}

export interface CaptureDay {
  count: number
  /** HHmmss of the latest capture of the day, and its image blob. */
  last: string
  file: string
}

export type Settlement = 'stitched' | 'cancelled' | 'failed'

export interface JobRecord {
  id: string
  /** The payer: the author of the `job` entry. null (with spec null) while only entries about the job are held. */
  author: string | null
  spec: JobBody | null
  seq: number
  lamport: number
  ts: number
  /** worker -> ts of its `accept`. */
  accepted: Record<string, number>
  /** Frame number -> record; a frame nobody touched has none (it is open). */
  frames: Record<string, FrameRecord>
  cancelledBy: Record<string, number>
  stitchedBy: Record<string, string>
  /** Milli-credits paid out for this job. */
  spent: number
  /** Milli-credits reserved from the payer's balance for the job (its budget) and not paid out yet; returned at settlement. */
  escrow: number
  /** The price per WU money is folded at (the payer's latest `reprice` in total order); null: the job entry's. */
  price: number | null
  /** worker -> milli-credits taken back when a `mismatch` ruled it a cheat: it earns nothing for the job. */
  forfeited: Record<string, number>
  /**
   * `${frame} ${worker}` -> milli-credits paid to a worker a third render cleared of a dispute,
   * for its image that was rejected meanwhile (the frame's `paid` went to the third render).
   */
  clearedPaid: Record<string, number>
  /** Frame number -> `failed` entries folded so far in total order: the money fold's view of the attempt limit. */
  moneyFailures: Record<string, number>
  /** `${frame} ${worker}` -> the latest mismatch record about it, by whoever wrote it (rules.ts decides whose count). */
  mismatches: Record<string, MismatchRecord>
  /** author -> its latest `reprice` of the job; only the payer's counts (rules.ts jobPrice). */
  reprices: Record<string, { seq: number; pricePerWU: number }>
  /** verifier -> its sample commitment, and the secret once revealed ('' until then). */
  samples: Record<string, { commit: string; secret: string }>
  /** Once settled, claims and leases are dropped (compaction) and new claims are ignored. */
  settled: Settlement | null
}

/** A worker's tenure on a frame: its first claim and the renewals that kept it (see rules.ts renewClaim). */
export interface ClaimRecord {
  /** Lamport of the claim that started the tenure; renewals keep it, so a renewal never loses to a later rival. */
  lamport: number
  /** ts of the claim that started the tenure: when the worker began on the frame. */
  since: number
  /** seq of the latest claim entry. */
  seq: number
  /** ms since the epoch: the claim entry's ts + leaseMs. Callers compare with their own clock. */
  expiresAt: number
}

export interface ResultRecord {
  file: string
  pixelHash: string
  renderMs: number
  wu: number
  ts: number
}

export interface Verdict {
  by: string
  worker: string
  ok: boolean
  amount: number
  /** Present when the verifier re-rendered the frame to check it. */
  checked?: true
}

export interface MismatchRecord extends MismatchBody {
  by: string
  seq: number
}

export interface FrameRecord {
  claims: Record<string, ClaimRecord>
  results: Record<string, ResultRecord>
  /** `failed` entries for the frame, by any worker: the job's attempt limit counts these. */
  failures: number
  /** worker -> `failed` entries it wrote for the frame. */
  failedBy: Record<string, number>
  lastError: { worker: string; attempt: number; error: string; key: string } | null
  /** `${verifier} ${worker}` -> verdict; only the payer's and the stitcher's count. */
  verdicts: Record<string, Verdict>
  paid: { worker: string; amount: number } | null
}

/** `roots`: the genesis (the founder); without, every author's entries count. */
export function emptyState(roots: readonly string[] = []): FarmState {
  return {
    clock: {},
    lamport: 0,
    nodes: {},
    jobs: {},
    workers: {},
    balances: {},
    granted: 0,
    longestFrame: null,
    captures: {},
    moneyCursor: '',
    membership: emptyMembership(roots),
    toggles: {},
  }
}

export function emptyJob(id: string): JobRecord {
  return {
    id,
    author: null,
    spec: null,
    seq: 0,
    lamport: 0,
    ts: 0,
    accepted: {},
    frames: {},
    cancelledBy: {},
    stitchedBy: {},
    spent: 0,
    escrow: 0,
    price: null,
    forfeited: {},
    clearedPaid: {},
    moneyFailures: {},
    mismatches: {},
    reprices: {},
    samples: {},
    settled: null,
  }
}

export function emptyFrame(): FrameRecord {
  return { claims: {}, results: {}, failures: 0, failedBy: {}, lastError: null, verdicts: {}, paid: null }
}

export function isEmptyFrame(f: FrameRecord): boolean {
  return (
    Object.keys(f.claims).length === 0 &&
    Object.keys(f.results).length === 0 &&
    f.failures === 0 &&
    Object.keys(f.verdicts).length === 0 &&
    f.paid === null
  )
}

/** Total order of entries: Lamport first, then author, then seq. Fixed-width, so string order is this order. */
export function orderKey(lamport: number, author: string, seq: number): string {
  return `${String(lamport).padStart(16, '0')}!${author}!${String(seq).padStart(16, '0')}`
}
