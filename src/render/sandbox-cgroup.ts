import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** A pids cgroup made for one sandboxed run: a fork bomb stops at its pids.max. */
export interface PidsCgroup {
  /** The file a process writes its pid into to join. */
  procsFile: string
  remove(): Promise<void>
}

/** Where this process's pids cgroup lives: cgroup v1's pids hierarchy, or the unified v2 tree. */
async function ownPidsCgroup(): Promise<string | undefined> {
  const lines = (await readFile('/proc/self/cgroup', 'utf8').catch(() => '')).split('\n')
  const v1 = lines.find((line) => /^\d+:pids:/.test(line))
  if (v1 !== undefined) return join('/sys/fs/cgroup/pids', v1.slice(v1.indexOf(':pids:') + 6))
  const v2 = lines.find((line) => line.startsWith('0::'))
  return v2 === undefined ? undefined : join('/sys/fs/cgroup', v2.slice(3))
}

/**
 * A fresh child cgroup of this process's own with pids.max set, or undefined where none can be
 * made (no write access, or v2 without the pids controller delegated): the caller falls back to
 * RLIMIT_NPROC.
 */
export async function pidsCgroup(max: number): Promise<PidsCgroup | undefined> {
  const parent = await ownPidsCgroup()
  if (parent === undefined) return undefined
  const dir = join(parent, `farm-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(dir)
  } catch {
    return undefined
  }
  const remove = async () => {
    // Its last processes may still be on their way out after the run's group was killed.
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(dir)
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EBUSY') return
        await sleep(20)
      }
    }
  }
  try {
    await writeFile(join(dir, 'pids.max'), String(max))
  } catch {
    await remove()
    return undefined
  }
  return { procsFile: join(dir, 'cgroup.procs'), remove }
}
