import { createTask } from 'node-cron'
import type { Capturer } from './capturer.ts'

/**
 * Runs the capturer on its cron schedule until the signal aborts, then waits for a capture in
 * progress so a stop never leaves half-written files behind.
 */
export async function runCaptureDaemon(
  capturer: Capturer,
  opts: { cron: string; signal: AbortSignal; onNextRun?: (next: Date | null) => void },
): Promise<void> {
  await capturer.recover()
  let running: Promise<unknown> = Promise.resolve()
  const task = createTask(
    opts.cron,
    () => {
      running = capturer.tick().finally(() => opts.onNextRun?.(task.getNextRun()))
      return running
    },
    { timezone: capturer.timeZone, noOverlap: true, name: 'farm-capture' },
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
