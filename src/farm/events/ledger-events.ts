import {
  type BodyOf,
  type Entry,
  type FarmState,
  failedFrameCounts,
  MAX_FAILED_FRAMES,
} from '../../ledger/index.ts'
import type { FarmEvent, WorkerBlockedEvent } from './events.ts'

/**
 * What new ledger entries mean to a person watching the farm, read against the state they were
 * folded into. Lease renewals and releases are bookkeeping, not news, so they make no event.
 */
export function eventsOfEntries(state: FarmState, entries: readonly Entry[]): FarmEvent[] {
  const events: FarmEvent[] = []
  const blocked = new Set<string>()
  for (const entry of entries) {
    const event = eventOf(state, entry)
    if (event) events.push(event)
    const block = blockedBy(state, entry)
    if (block && !blocked.has(`${block.job} ${block.node}`)) {
      blocked.add(`${block.job} ${block.node}`)
      events.push(block)
    }
  }
  return events
}

/**
 * The `failed` entry that made its worker reach the failure limit of the job: its first failure
 * of this frame, with exactly the limit of distinct frames failed. Read against the state after
 * the batch, so a batch that brings several such entries reports the block once.
 */
function blockedBy(state: FarmState, entry: Entry): WorkerBlockedEvent | undefined {
  if (entry.type !== 'failed') return undefined
  const body = entry.body as BodyOf['failed']
  const job = state.jobs[body.job]
  if (job === undefined || job.frames[String(body.frame)]?.failedBy[entry.author] !== 1) return undefined
  const failedFrames = failedFrameCounts(job).get(entry.author) ?? 0
  if (failedFrames !== MAX_FAILED_FRAMES) return undefined
  const nodeName = state.nodes[entry.author]?.name
  const jobName = job.spec?.name
  return {
    type: 'worker:blocked',
    ts: entry.ts,
    job: body.job,
    ...(jobName === undefined ? {} : { jobName }),
    node: entry.author,
    ...(nodeName === undefined ? {} : { nodeName }),
    failedFrames,
  }
}

function eventOf(state: FarmState, entry: Entry): FarmEvent | undefined {
  const ts = entry.ts
  const node = entry.author
  const nodeName = state.nodes[node]?.name
  const named = nodeName === undefined ? {} : { nodeName }
  const jobRef = (id: string) => {
    const jobName = state.jobs[id]?.spec?.name
    return jobName === undefined ? { ts, job: id } : { ts, job: id, jobName }
  }
  switch (entry.type) {
    case 'job': {
      const body = entry.body as BodyOf['job']
      return {
        type: 'job:submitted',
        ts,
        job: entry.hash,
        jobName: body.name,
        owner: state.nodes[node]?.owner ?? node,
        renderer: body.renderer,
        firstFrame: body.frames.first,
        lastFrame: body.frames.last,
      }
    }
    case 'accept':
      return { type: 'job:accepted', ...jobRef((entry.body as BodyOf['accept']).job), node, ...named }
    case 'claim': {
      const body = entry.body as BodyOf['claim']
      const job = state.jobs[body.job]
      const fresh = body.frames.filter((f) => job?.frames[String(f)]?.claims[node]?.lamport === entry.lamport)
      if (body.leaseMs <= 1 || fresh.length === 0) return undefined
      return { type: 'frame:claimed', ...jobRef(body.job), frames: fresh, node, ...named }
    }
    case 'rendered': {
      const body = entry.body as BodyOf['rendered']
      return {
        type: 'frame:rendered',
        ...jobRef(body.job),
        frame: body.frame,
        node,
        ...named,
        renderMs: body.renderMs,
        wu: body.wu / 1000,
      }
    }
    case 'failed': {
      const body = entry.body as BodyOf['failed']
      const job = state.jobs[body.job]
      const failures = job?.frames[String(body.frame)]?.failures ?? 0
      const spec = job?.spec
      if (
        job?.settled === 'failed' &&
        spec &&
        (failures === spec.attempts || (spec.failFast && failures === 1))
      ) {
        return {
          type: 'job:failed',
          ...jobRef(body.job),
          reason: `frame ${body.frame} failed on ${nodeName ?? node} (attempt ${body.attempt}): ${body.error}`,
        }
      }
      return {
        type: 'frame:failed',
        ...jobRef(body.job),
        frame: body.frame,
        node,
        ...named,
        attempt: body.attempt,
        error: body.error,
      }
    }
    case 'verified': {
      const body = entry.body as BodyOf['verified']
      const workerName = state.nodes[body.worker]?.name
      if (!body.ok) {
        return {
          type: 'log',
          ts,
          level: 'warn',
          message: `frame ${body.frame} of ${state.jobs[body.job]?.spec?.name ?? body.job} from ${workerName ?? body.worker} was rejected: its image does not match what it reported; it goes back to the pool`,
        }
      }
      return {
        type: 'frame:verified',
        ...jobRef(body.job),
        frame: body.frame,
        node: body.worker,
        ...(workerName === undefined ? {} : { nodeName: workerName }),
        credits: paidTo(state, body),
      }
    }
    case 'stitched': {
      const body = entry.body as BodyOf['stitched']
      const spec = state.jobs[body.job]?.spec
      const frames = spec ? spec.frames.last - spec.frames.first + 1 : 0
      return { type: 'job:stitched', ...jobRef(body.job), frames, video: body.video }
    }
    case 'cancel':
      return {
        type: 'job:cancelled',
        ...jobRef((entry.body as BodyOf['cancel']).job),
        by: node,
        ...(nodeName === undefined ? {} : { byName: nodeName }),
      }
    default:
      return undefined
  }
}

/** What the fold paid the worker for the frame a `verified` accepts: the frame's payment, or a cleared worker's own. */
function paidTo(state: FarmState, body: BodyOf['verified']): number {
  const job = state.jobs[body.job]
  if (!job) return 0
  if (body.cleared) return job.clearedPaid[`${body.frame} ${body.worker}`] ?? 0
  const paid = job.frames[String(body.frame)]?.paid
  return paid?.worker === body.worker ? paid.amount : 0
}
