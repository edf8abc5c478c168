import type { FarmState } from '../../ledger/index.ts'

/**
 * Leaving within a grace period (`farm join --grace`, a spot VM's preemption notice, a pod's
 * termination): renders may go on until the grace period less the time kept to stop in, then
 * what is left is released; meanwhile the worker waits for the stitchers to verify the frames it
 * rendered, since a frame's image lives in the worker's blob store until its stitcher fetched
 * it, and a frame nobody fetched is rendered again by someone else.
 */

/** Kept from the grace period to abort renderers, release claims and close the swarm and ledger. */
export const STOP_RESERVE_MS = 5_000

/** How long, of a grace period, renders may go on and the stitchers may fetch. */
export function workingGraceMs(graceMs: number): number {
  return Math.max(0, graceMs - Math.min(STOP_RESERVE_MS, graceMs / 2))
}

/** Frames `worker` reported in jobs still open whose stitcher (another node) has not judged them yet. */
export function unfetchedResults(state: FarmState, worker: string): { job: string; frame: number }[] {
  const out: { job: string; frame: number }[] = []
  for (const job of Object.values(state.jobs)) {
    const stitcher = job.spec?.stitcher
    if (job.settled || stitcher === undefined || stitcher === worker) continue
    for (const [frame, record] of Object.entries(job.frames)) {
      if (record.results[worker] !== undefined && record.verdicts[`${stitcher} ${worker}`] === undefined)
        out.push({ job: job.id, frame: Number(frame) })
    }
  }
  return out
}
