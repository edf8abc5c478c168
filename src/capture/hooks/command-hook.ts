import { basename } from 'node:path'
import { runProgram } from '../../render/index.ts'

/** An event as hooks see it: capture's and the farm's events both have these two fields. */
export interface HookEvent {
  type: string
  ts: number
}

/** Longer than any sane hook; a hook that hangs must not hold the next events forever. */
export const HOOK_TIMEOUT_MS = 120_000

/**
 * The environment an `--on-event` command gets besides the event's JSON on stdin, so that a
 * shell script needs no JSON parser for the common cases: the event's type, and the file it is
 * about (the frame of `frame:saved`, the video of `timelapse:rebuilt`, `day:finalized` and
 * `job:stitched`), its day and its job.
 */
export function hookEnv(event: HookEvent): Record<string, string> {
  const fields = event as HookEvent & Record<string, unknown>
  const env: Record<string, string> = { FARM_EVENT: event.type }
  const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : undefined)
  const path = text('path')
  if (path !== undefined) env[event.type.startsWith('frame:') ? 'FARM_FRAME' : 'FARM_VIDEO'] = path
  const day = text('day')
  if (day !== undefined) env.FARM_DAY = day
  const job = text('job')
  if (job !== undefined) env.FARM_JOB = job
  return env
}

export type HookRun = { ok: true } | { ok: false; why: string }

/** Runs the command once for the event: no shell, the event's JSON on stdin, hookEnv() set. */
export async function runHook(argv: string[], event: HookEvent, signal: AbortSignal): Promise<HookRun> {
  const result = await runProgram(argv[0]!, argv.slice(1), {
    input: Buffer.from(`${JSON.stringify(event)}\n`),
    env: hookEnv(event),
    timeoutMs: HOOK_TIMEOUT_MS,
    signal,
  })
  if (result.ok) return { ok: true }
  if (result.spawnError !== undefined)
    return { ok: false, why: `cannot start: ${result.spawnError.code ?? result.tail}` }
  if (result.timedOut) return { ok: false, why: `killed after ${HOOK_TIMEOUT_MS / 1000} s` }
  return {
    ok: false,
    why: `exit ${result.exitCode ?? result.signal}${result.tail ? `: ${result.tail}` : ''}`,
  }
}

/** How logs name a hook command: the program, not its arguments, which may hold tokens. */
export function hookName(argv: string[]): string {
  return `'${basename(argv[0]!)}'`
}
