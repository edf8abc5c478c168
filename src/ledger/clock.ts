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
