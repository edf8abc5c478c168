import {
  blockedWorker,
  cheatedOn,
  type FarmState,
  type JobRecord,
  jobPrice,
  mismatchesOf,
  paymentsOf,
} from '../../ledger/index.ts'

/** A mismatch record as `farm status`, `farm workers` and the dashboard show it. */
export interface MismatchSummary {
  frame: number
  worker: string
  workerName: string | null
  kind: 'pixels' | 'wu'
  pixelHash: string
  verifierHash: string
  verifier: string
  ruling: 'open' | 'cheat' | 'cleared'
  /** The render that settled it, when one did. */
  third: { worker: string; pixelHash: string } | null
}

/** What a worker earned on a job: the frames paid to it, their amount and the milli-WU it reported for them. */
export interface JobEarning {
  worker: string
  name: string | null
  frames: number
  amount: number
  reportedMilliWU: number
  blocked: boolean
}

/** A job's money and verification: its price and budget, what it paid, what it checked, who was caught. */
export interface JobVerification {
  /** Milli-credits per WU now (the payer's latest `reprice`). */
  pricePerWU: number
  budget: number | null
  escrow: number
  spent: number
  /** Frames whose accepted image the stitcher re-rendered to check. */
  checked: number
  mismatches: MismatchSummary[]
  earnings: JobEarning[]
}

export function verificationOf(state: FarmState, job: JobRecord): JobVerification {
  const earnings = new Map<string, JobEarning>()
  let checked = 0
  for (const frame of Object.values(job.frames)) {
    if (Object.values(frame.verdicts).some((v) => v.ok && v.checked && v.by === job.spec?.stitcher))
      checked += 1
  }
  for (const { frame: n, worker, amount } of paymentsOf(job)) {
    const earning = earnings.get(worker) ?? {
      worker,
      name: state.nodes[worker]?.name ?? null,
      frames: 0,
      amount: 0,
      reportedMilliWU: 0,
      blocked: blockedWorker(job, worker),
    }
    earning.frames += 1
    earning.amount += amount
    earning.reportedMilliWU += job.frames[String(n)]?.results[worker]?.wu ?? 0
    earnings.set(worker, earning)
  }
  return {
    pricePerWU: jobPrice(job),
    budget: job.spec?.budget ?? null,
    escrow: job.escrow,
    spent: job.spent,
    checked,
    mismatches: mismatchesOf(job).map((m) => ({
      frame: m.frame,
      worker: m.worker,
      workerName: state.nodes[m.worker]?.name ?? null,
      kind: m.kind,
      pixelHash: m.pixelHash,
      verifierHash: m.verifierHash,
      verifier: m.verifier,
      ruling: m.ruling,
      third: m.third ?? null,
    })),
    earnings: [...earnings.values()].sort((a, b) => b.amount - a.amount || (a.worker < b.worker ? -1 : 1)),
  }
}

/** The jobs a worker was ruled a cheat on, and how many mismatch records name it. */
export function worstOf(state: FarmState, worker: string): { mismatches: number; cheatedOn: string[] } {
  let mismatches = 0
  const jobs: string[] = []
  for (const job of Object.values(state.jobs)) {
    for (const m of mismatchesOf(job)) if (m.worker === worker) mismatches += 1
    if (cheatedOn(job, worker)) jobs.push(job.id)
  }
  return { mismatches, cheatedOn: jobs }
}

/** One line per mismatch, as `farm status JOB` prints them. */
export function mismatchLines(mismatches: readonly MismatchSummary[]): string[] {
  const cheats = new Set(mismatches.filter((m) => m.ruling === 'cheat').map((m) => m.worker))
  return mismatches.map((m) => {
    const who = m.workerName ?? m.worker
    const what =
      m.kind === 'pixels'
        ? `its pixels ${m.pixelHash.slice(0, 12)} against the verifier's ${m.verifierHash.slice(0, 12)}`
        : 'it reported far more WU than the frame cost the verifier'
    const ruling =
      m.ruling === 'cheat'
        ? `a third render (${m.third?.worker.slice(-6)}) agreed with the verifier: ${who} is blocked from the job and earns nothing for it`
        : m.ruling === 'cleared'
          ? `a third render (${m.third?.worker.slice(-6)}) agreed with ${who}: cleared, and paid for its image`
          : cheats.has(m.worker)
            ? `moot: ${who} was ruled a cheat on another frame`
            : 'waiting for a third render'
    return `mismatch on frame ${m.frame} by ${who}: ${what} (verifier ${m.verifier.slice(-6)}); ${ruling}`
  })
}
