import { createTask, type Logger } from 'node-cron'
import type { CaptureLog, Capturer } from './capturer.ts'

/** node-cron's own warnings (a tick skipped because the last one still runs) in the daemon's log format. */
function cronLogger(log: CaptureLog): Logger {
  const text = (message: string | Error) =>
    `schedule: ${message instanceof Error ? message.message : message}`
  return {
    info: (message) => log('info', text(message)),
    warn: (message) => log('warn', text(message)),
    error: (message) => log('error', text(message)),
    debug: () => {},
  }
}

/**
 * Runs the capturer on its cron schedule until the signal aborts, then waits for a capture in
 * progress so a stop never leaves half-written files behind.
 */
export async function runCaptureDaemon(
  capturer: Capturer,
  opts: {
    cron: string
    signal: AbortSignal
    log: CaptureLog
    onNextRun?: (next: Date | null) => void
    /** After recovery, before the first tick: the backup compares the tidied directory with its records. */
    onRecovered?: () => Promise<void>
  },
): Promise<void> {
  await capturer.recover()
  await opts.onRecovered?.()
  let running: Promise<unknown> = Promise.resolve()
  const task = createTask(
    opts.cron,
    () => {
      running = capturer.tick().finally(() => opts.onNextRun?.(task.getNextRun()))
      return running
    },
    { timezone: capturer.timeZone, noOverlap: true, name: 'farm-capture', logger: cronLogger(opts.log) },
  )
  await task.start()
  opts.onNextRun?.(task.getNextRun())
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve()
    else opts.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await task.destroy()
  await running
}
