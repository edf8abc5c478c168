/**
 * Whether a worker takes frames now, by what its owner set (read from the ledger, so every node
 * agrees): switched off by its owner from any of the owner's nodes, its machine busy with its
 * owner's own work (`--when-idle`), or outside its hours (`--schedule`). The worker loop skips
 * claiming while its own answer is no, and leaves unavailable workers out of the rendezvous, so
 * their frames are not left waiting for them.
 */
import type { FarmState } from '../../ledger/index.ts'
import { withinHours } from './hours.ts'

export type Unavailable = 'paused' | 'busy' | 'off-hours'

/** The latest `toggle` for `cause` that counts: by the worker itself or, for `owner`, by a node of the same owner. */
function switchedOn(state: FarmState, worker: string, cause: 'owner' | 'busy'): boolean {
  const records = state.toggles[worker]
  if (!records) return true
  const owner = state.nodes[worker]?.owner
  let latest: { on: boolean; key: string } | undefined
  for (const record of Object.values(records)) {
    if (record.cause !== cause) continue
    const counts =
      record.author === worker ||
      (cause === 'owner' && owner !== undefined && state.nodes[record.author]?.owner === owner)
    if (counts && (!latest || record.key > latest.key)) latest = record
  }
  return latest?.on ?? true
}

/** Whether the worker's owner left it on (`farm pause`/`resume`, `farm workers --disable/--enable`). */
export function ownerEnabled(state: FarmState, worker: string): boolean {
  return switchedOn(state, worker, 'owner')
}

/** Why `worker` takes no frames at `now`, or undefined when it may. */
export function unavailable(state: FarmState, worker: string, now: number): Unavailable | undefined {
  if (!switchedOn(state, worker, 'owner')) return 'paused'
  if (!switchedOn(state, worker, 'busy')) return 'busy'
  const schedule = state.nodes[worker]?.schedule
  if (schedule && !withinHours(schedule, now)) return 'off-hours'
  return undefined
}
