/**
 * Real `farm` processes for the benchmarks: the built CLI (run `npm run build` first), on
 * 127.0.0.1 only, without mDNS, and what /proc says of them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'

export const MAIN = resolve(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js')

/** Runs `farm ...args` to its end; its stdout, and its exit code. */
export function farm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  return new Promise((r) => child.on('exit', (code) => r({ code: code ?? 1, stdout, stderr })))
}

export interface FarmNode {
  child: ChildProcess
  pid: number
  address: string
  log: () => string
  /** SIGTERM, as a user's Ctrl-C; SIGKILL (and its renderers' process groups) if it hangs. */
  stop: (timeoutMs?: number) => Promise<void>
}

/** A `farm join` child on 127.0.0.1, once it logged its address. */
export async function startFarmNode(home: string, extra: string[] = []): Promise<FarmNode> {
  const child = spawn(process.execPath, [MAIN, 'join', '--home', home, '--headless', '--no-mdns', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  const exited = new Promise((r) => child.on('exit', r))
  const address = await new Promise<string>((resolveAddress, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString()
      const match = / started, listening on (\S+)/.exec(log)
      if (match) resolveAddress(match[1]!)
    })
    child.on('exit', () => reject(new Error(`farm join exited: ${log}`)))
  })
  return {
    child,
    address,
    pid: child.pid!,
    log: () => log,
    stop: async (timeoutMs = 20_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const renderers = childPids(child.pid!)
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        for (const pid of renderers) killGroup(pid)
      }, timeoutMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The processes pid started (renderers run in process groups of their own). */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // Gone already.
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** A process's resident set now, in MB. */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}
