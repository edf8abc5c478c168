import { validateDetailed } from 'node-cron'
import { CaptureError } from './errors.ts'

export const HOURLY = '0 * * * *'

/** The cron expression a capture runs on: `--hourly` is on the hour; `--cron` is checked now, not at the first tick. */
export function captureSchedule(opts: { hourly?: boolean; cron?: string }): string {
  if (opts.cron === undefined) return HOURLY
  const expression = opts.cron.trim()
  const check = validateDetailed(expression)
  if (!check.valid) {
    throw CaptureError.BAD_CRON(
      expression,
      check.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'unparsable',
    )
  }
  return expression
}
