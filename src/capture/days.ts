import { CaptureError } from './errors.ts'

/** Where a moment falls on the capturer's wall clock: the day folder and the frame's file stem. */
export interface LocalMoment {
  /** YYYY-MM-DD in the capture time zone: the day folder and the timelapse's name. */
  day: string
  /** HHmmss in the capture time zone: the frame's file name without extension. */
  time: string
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone)
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      })
    } catch {
      throw CaptureError.BAD_TIME_ZONE(timeZone)
    }
    formatters.set(timeZone, formatter)
  }
  return formatter
}

/** Throws BAD_TIME_ZONE for a zone Intl does not know, so the CLI fails at start, not at the first tick. */
export function checkTimeZone(timeZone: string): string {
  formatterFor(timeZone)
  return timeZone
}

export function localMoment(at: Date, timeZone: string): LocalMoment {
  const parts: Record<string, string> = {}
  for (const part of formatterFor(timeZone).formatToParts(at)) parts[part.type] = part.value
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}${parts.minute}${parts.second}`,
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

export function isDay(text: string): boolean {
  const match = DAY.exec(text)
  if (match === null) return false
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  return date.toISOString().slice(0, 10) === text
}

export function parseDay(text: string): string {
  if (!isDay(text)) throw CaptureError.BAD_DAY(text)
  return text
}

/** Whole calendar days from `from` to `to` (both YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

export function addDays(day: string, count: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + count * 86_400_000).toISOString().slice(0, 10)
}
