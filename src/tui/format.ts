import { formatDuration } from '../render/index.ts'

/** Text for numbers the dashboard shows; the same figure always reads the same way. */

const thousands = new Intl.NumberFormat('en-US')

export function count(n: number): string {
  return thousands.format(n)
}

export function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`
}

export { formatCredits as credits } from '../ledger/index.ts'

export function wupm(value: number | null): string {
  return value === null ? '—' : value.toFixed(2)
}

export function wu(value: number): string {
  return value.toFixed(3)
}

/** An ETA as the render progress line writes it ("4m10s"), or a dash while it is unknown. */
export function eta(ms: number | null): string {
  return ms === null ? '—' : formatDuration(ms)
}

/** Local wall-clock time of a log line. */
export function clock(ts: number): string {
  const d = new Date(ts)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
}
