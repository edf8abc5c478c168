import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The renderers a node has running, one file per process group in a directory of its home, so
 * that a node killed outright (kill -9, power loss) kills what it left at its next start. The
 * sandbox dies with its node by itself; an unsandboxed renderer of the node's own job does not.
 * Each file holds the process's start time, so a pid the kernel has since given to another
 * program is never killed.
 */
export function recordRenderer(dir: string, pid: number): void {
  const started = startTime(pid)
  if (started === undefined) return
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, String(pid)), `${started}\n`)
}

export function forgetRenderer(dir: string, pid: number): void {
  rmSync(join(dir, String(pid)), { force: true })
}

/** Kills (SIGKILL, whole group) every recorded renderer still running; returns their pids. */
export function killLeftoverRenderers(dir: string): number[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const killed: number[] = []
  for (const name of names) {
    const pid = Number(name)
    const file = join(dir, name)
    if (!Number.isInteger(pid) || pid <= 1) continue
    const recorded = readFileSync(file, 'utf8').trim()
    if (startTime(pid) === recorded) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL')
        } catch {
          // Gone meanwhile, or the group has no other member.
        }
      }
      killed.push(pid)
    }
    rmSync(file, { force: true })
  }
  return killed
}

/** Field 22 of /proc/PID/stat (clock ticks since boot): with the pid, names one process. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}
