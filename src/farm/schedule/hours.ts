/**
 * A worker's hours (`farm join --schedule 22:00-07:00`): minutes after local midnight, a span
 * that may wrap past midnight, and the machine's UTC offset, so that every node reads another's
 * hours at the same instants as that machine's own clock does.
 */
export interface Hours {
  from: number
  to: number
  /** Minutes east of UTC. */
  utcOffset: number
}

const MINUTES_PER_DAY = 1440

/** `HH:MM-HH:MM` into minutes, or undefined when it is not that shape (the caller names the flag). */
export function parseHours(text: string, utcOffset: number): Hours | undefined {
  const match = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(text.trim())
  if (!match) return undefined
  const [h1, m1, h2, m2] = match.slice(1).map(Number) as [number, number, number, number]
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return undefined
  const from = h1 * 60 + m1
  const to = h2 * 60 + m2
  if (from === to) return undefined
  return { from, to, utcOffset }
}

/** This machine's offset from UTC now, in minutes east (JavaScript's own sign is the other way). */
export function localUtcOffset(now = new Date()): number {
  return -now.getTimezoneOffset()
}

/** Whether `now` (ms since the epoch) falls within the hours, `to` excluded. */
export function withinHours(hours: Hours, now: number): boolean {
  const minute = Math.floor((now / 60_000 + hours.utcOffset) % MINUTES_PER_DAY)
  const local = (minute + MINUTES_PER_DAY) % MINUTES_PER_DAY
  return hours.from < hours.to
    ? local >= hours.from && local < hours.to
    : local >= hours.from || local < hours.to
}

/** `22:00-07:00`, as the user wrote it. */
export function formatHours(hours: Hours): string {
  const hhmm = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
  return `${hhmm(hours.from)}-${hhmm(hours.to)}`
}
