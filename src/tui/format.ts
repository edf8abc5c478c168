/** Text for numbers the dashboard shows; the same figure always reads the same way. */

const thousands = new Intl.NumberFormat('en-US')

export function count(n: number): string {
  return thousands.format(n)
}

export function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`
}

/** Milli-credits as credits: integers all the way, so 0.1 + 0.2 never shows up. */
export function credits(milli: number): string {
  const sign = milli < 0 ? '-' : ''
  const abs = Math.abs(milli)
  return `${sign}${thousands.format(Math.floor(abs / 1000))}.${String(abs % 1000).padStart(3, '0')} cr`
}

export function wupm(value: number | null): string {
  return value === null ? '—' : value.toFixed(2)
}

export function wu(value: number): string {
  return value.toFixed(3)
}

/** Two units at most, like a download's ETA: "45s", "4m10s", "1h02m", "3d07h". */
export function eta(ms: number | null): string {
  if (ms === null) return '—'
  const s = Math.ceil(ms / 1000)
  const two = (n: number) => String(n).padStart(2, '0')
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`
  const h = Math.floor(s / 3600)
  if (h < 100) return `${h}h${two(Math.floor((s % 3600) / 60))}m`
  return `${Math.floor(h / 24)}d${two(h % 24)}h`
}

/** Local wall-clock time of a log line. */
export function clock(ts: number): string {
  const d = new Date(ts)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
}

/** Never shows full before the last frame is verified. */
export function progressBar(done: number, total: number, width: number): string {
  const full = total === 0 ? 0 : Math.floor((done / total) * width)
  return '█'.repeat(full) + '░'.repeat(width - full)
}
