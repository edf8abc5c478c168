import { readFileSync } from 'node:fs'

/** Linux's USER_HZ: /proc reports CPU times in these ticks. */
const TICKS_PER_SECOND = 100

/**
 * CPU time (user + system, ms) of this process's children that have exited and been waited for,
 * from /proc/self/stat; undefined where there is no /proc. Read before and after one renderer
 * process, it is that process's own CPU time: what a frame costs, whatever else shares the
 * machine (a wall clock on a busy machine measures the other users too).
 */
export function reapedChildrenCpuMs(): number | undefined {
  let stat: string
  try {
    stat = readFileSync('/proc/self/stat', 'utf8')
  } catch {
    return undefined
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields 16 and 17 of proc(5), cutime and cstime, counted from the state (field 3) at index 0.
  const ticks = Number(fields[13]) + Number(fields[14])
  return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined
}
