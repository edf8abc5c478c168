import { readdir, readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'

/**
 * How busy the machine is with its owner's own work: the CPU time of every process that is not
 * this node or one of its renderers, as a share of all cores, from /proc between two samples.
 * Linux only; elsewhere (no /proc) the machine always reads as idle.
 */
interface LoadSample {
  /** pid -> utime + stime (clock ticks) of each process counted. */
  ticks: Map<number, number>
  at: number
}

/** Linux's USER_HZ: /proc reports CPU times in these ticks on every architecture it runs on. */
const TICKS_PER_SECOND = 100

export interface LoadProbeOptions {
  /** This node's process: it and its descendants (the renderers) are not the owner's load. */
  selfPid?: number
  /**
   * Count only processes whose command line contains this text. For tests on a shared machine,
   * whose other users' load would otherwise decide: `$FARM_IDLE_ONLY`.
   */
  only?: string
  cores?: number
}

export class LoadProbe {
  private readonly selfPid: number
  private readonly only: string | undefined
  private readonly cores: number
  private last: LoadSample | undefined

  constructor(opts: LoadProbeOptions = {}) {
    this.selfPid = opts.selfPid ?? process.pid
    this.only = opts.only
    this.cores = opts.cores ?? availableParallelism()
  }

  /** The share of all cores (0..1) others used since the last call; undefined at the first. */
  async busyShare(): Promise<number | undefined> {
    const sample = await this.sample()
    const prior = this.last
    this.last = sample
    if (!prior || sample.at <= prior.at) return undefined
    const elapsedTicks = ((sample.at - prior.at) / 1000) * TICKS_PER_SECOND * this.cores
    // Per process, so one that ended between the samples takes nothing off; a new one counts whole.
    let used = 0
    for (const [pid, ticks] of sample.ticks) used += Math.max(0, ticks - (prior.ticks.get(pid) ?? 0))
    return Math.min(1, used / elapsedTicks)
  }

  private async sample(): Promise<LoadSample> {
    const at = Date.now()
    const names = await readdir('/proc').catch(() => [] as string[])
    const procs: { pid: number; ppid: number; ticks: number }[] = []
    await Promise.all(
      names
        .filter((name) => /^\d+$/.test(name))
        .map(async (name) => {
          const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined)
          if (stat === undefined) return
          // The command name may hold spaces and parentheses: fields are counted after the last ')'.
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
          if (this.only !== undefined) {
            const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')
            if (!cmdline.includes(this.only)) return
          }
          procs.push({
            pid: Number(name),
            ppid: Number(fields[1]),
            ticks: Number(fields[11]) + Number(fields[12]),
          })
        }),
    )
    const parent = new Map(procs.map((p) => [p.pid, p.ppid]))
    const ours = (pid: number) => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++)
        if (p === this.selfPid) return true
      return false
    }
    const ticks = new Map<number, number>()
    for (const p of procs) if (!ours(p.pid)) ticks.set(p.pid, p.ticks)
    return { ticks, at }
  }
}
