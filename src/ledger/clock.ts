import type { Clock } from './state.ts'

/**
 * "In sync", the one meaning farm gives it: `ours` holds every entry `theirs` holds (each
 * author's head at least as far). A node in sync with its peers has seen all they have; they
 * may still lack its newest entries, which gossip carries to them at once.
 */
export function holdsAll(ours: Clock, theirs: Clock): boolean {
  for (const [author, seq] of Object.entries(theirs)) if ((ours[author] ?? 0) < seq) return false
  return true
}

/**
 * How far ahead of this node's clock an entry's `ts` may be and still be applied: NTP keeps
 * honest machines within a second or two, and a Pi without a real-time clock that has not synced
 * yet is minutes off, not seconds; 2 minutes covers the first, and is short enough that a lease
 * counted from a `ts` this far ahead holds a frame at most that much longer. An entry further
 * ahead is held (not refused: the receiver's clock may be the one that is wrong) until it is
 * within the skew, or until it expires from the held entries.
 *
 * An entry's Lamport clock may not exceed its `ts` (entry.ts refuses it with BAD_CLOCK): so no
 * entry this node applies can push its next Lamport clock beyond now + this skew, and no stored
 * value comes near 2^53 (ms since 1970 are 1.8e12; 2^53 is 9e15). A node's own entries take
 * `ts` = max(now, next Lamport clock), so they always satisfy it, even after a peer's entry at
 * the edge of the skew.
 */
export const MAX_CLOCK_SKEW_MS = 2 * 60_000
