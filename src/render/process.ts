import { installHint } from './detect.ts'
import { RenderError } from './errors.ts'

export interface RunResult {
  exitCode: number | undefined
  output: string
  command: string
}

/** How long a renderer has to exit after SIGTERM before it is killed outright. */
const KILL_GRACE_MS = 5_000

/** How many of a renderer's last lines a user sees when it fails. */
export const TAIL_LINES = 12

/**
 * Runs a renderer to completion and keeps what it printed. The renderer runs in its own process
 * group, and an abort kills that whole group, so nothing a renderer started outlives Ctrl-C.
 */
export async function runRenderer(
  file: string,
  args: string[],
  opts: { cwd: string; signal?: AbortSignal },
): Promise<RunResult> {
  opts.signal?.throwIfAborted()
  // Loaded on first use (~18 MB): a farm node idles without it until it renders.
  const { execa } = await import('execa')
  const child = execa(file, args, {
    cwd: opts.cwd,
    all: true,
    reject: false,
    stdin: 'ignore',
    detached: true,
    cleanup: true,
    env: { LC_ALL: 'C' },
  })
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return
    try {
      process.kill(-child.pid, signal)
    } catch {
      // the group has already exited
    }
  }
  let forceKill: NodeJS.Timeout | undefined
  const onAbort = () => {
    killGroup('SIGTERM')
    forceKill = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS)
  }
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const result = await child
    if (opts.signal?.aborted) throw RenderError.aborted()
    if (result.failed && result.exitCode === undefined && result.code === 'ENOENT') {
      throw RenderError.rendererMissing(file, installHint(file))
    }
    return { exitCode: result.exitCode, output: String(result.all ?? ''), command: result.escapedCommand }
  } finally {
    clearTimeout(forceKill)
    opts.signal?.removeEventListener('abort', onAbort)
  }
}

/** The last `count` non-empty lines of `text`, without lines matching `noise`. */
export function tailLines(text: string, count = TAIL_LINES, noise?: RegExp): string {
  const lines = text
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !noise?.test(line))
  return lines.slice(-count).join('\n')
}

/** True when a process's output says it ran out of disk space. */
export function saysDiskFull(output: string): boolean {
  return /No space left on device|ENOSPC|disk full/i.test(output)
}
