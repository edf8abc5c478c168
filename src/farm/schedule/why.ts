/**
 * Why nobody renders a job: the one answer `farm status`, `farm jobs` and the dashboard give,
 * from the same ledger rules the workers claim by. A job that some worker could take now has
 * no reason (undefined), nor has one that is being rendered, settled or complete.
 */
import {
  blockedWorker,
  canPay,
  type FarmState,
  failedFrameCounts,
  type JobRecord,
  jobProgress,
  jobQueue,
} from '../../ledger/index.ts'
import { unavailable } from './availability.ts'

export type Stall =
  /** No node of the swarm has the job's renderer. */
  | { reason: 'no-renderer'; renderer: string }
  /** Nodes have it, but none of them accepted the job (its owner is not on their --accept list, a --min-price above its price). */
  | { reason: 'not-accepted'; capable: number }
  /** Every worker that accepted it failed 3 of its frames. */
  | { reason: 'blocked'; workers: number }
  /** Every worker that may take it is switched off, busy with its owner's work or outside its hours. */
  | { reason: 'unavailable'; paused: number; busy: number; offHours: number }
  /** The workers that may take it are not connected to this node. */
  | { reason: 'offline'; workers: number }
  /** Its payer cannot pay for a WU, so it runs at price 0 only once nothing else waits: `waiting` jobs do. */
  | { reason: 'cannot-pay'; waiting: number }

/** `live`: the workers connected now (this node and its peers); without it, connection is not judged. */
export function whyStalled(
  state: FarmState,
  job: JobRecord,
  now: number,
  live?: ReadonlySet<string>,
): Stall | undefined {
  const spec = job.spec
  if (!spec || !job.author || job.settled) return undefined
  const progress = jobProgress(job, now)
  if (progress.claimed > 0 || progress.open === 0) return undefined
  const nodes = Object.entries(state.nodes)
  const capable = nodes.filter(([, node]) => node.renderers.some((r) => r.name === spec.renderer))
  if (capable.length === 0) return { reason: 'no-renderer', renderer: spec.renderer }
  const accepted = capable.filter(([id]) => job.accepted[id] !== undefined)
  if (accepted.length === 0) return { reason: 'not-accepted', capable: capable.length }
  const failures = failedFrameCounts(job)
  const unblocked = accepted.filter(([id]) => !blockedWorker(job, id, failures))
  if (unblocked.length === 0) return { reason: 'blocked', workers: accepted.length }
  const why = unblocked.map(([id]) => unavailable(state, id, now))
  if (why.every((w) => w !== undefined)) {
    const count = (w: string) => why.filter((x) => x === w).length
    return {
      reason: 'unavailable',
      paused: count('paused'),
      busy: count('busy'),
      offHours: count('off-hours'),
    }
  }
  const ready = unblocked.filter((_, i) => why[i] === undefined)
  if (live && !ready.some(([id]) => live.has(id))) return { reason: 'offline', workers: ready.length }
  if (!canPay(state, job)) {
    const waiting = jobQueue(state).filter(
      (other) => other !== job && canPay(state, other) && jobProgress(other, now).open > 0,
    ).length
    if (waiting > 0) return { reason: 'cannot-pay', waiting }
  }
  return undefined
}

/** The reason in a user's words, with what to do about it. */
export function stallMessage(stall: Stall): string {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`
  switch (stall.reason) {
    case 'no-renderer':
      return `no worker has ${stall.renderer}: start a node where it is installed (\`farm doctor\` says how)`
    case 'not-accepted':
      return `no worker accepted it (${plural(stall.capable, 'node')} could render it, but their --accept or --min-price leave it out): press a in their dashboards, or raise the price`
    case 'blocked':
      return `every worker that accepted it is blocked after failing 3 of its frames (${plural(stall.workers, 'worker')}): see the errors with \`farm status JOB\``
    case 'unavailable': {
      const parts = [
        stall.paused ? `${stall.paused} paused` : '',
        stall.busy ? `${stall.busy} busy with their owners' work` : '',
        stall.offHours ? `${stall.offHours} outside their hours` : '',
      ].filter(Boolean)
      return `every worker that accepted it is paused, busy or outside its schedule (${parts.join(', ')}): \`farm resume\` or \`farm workers --enable NODE\` on a node of their owner`
    }
    case 'offline':
      return `the workers that accepted it are not connected (${plural(stall.workers, 'worker')}): start them, or check \`farm peers\``
    case 'cannot-pay':
      return `its owner cannot pay for it, so it waits at price 0 until nothing else does (${plural(stall.waiting, 'job')} ahead)`
  }
}
