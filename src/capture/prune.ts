import { daysBetween, isDay } from './days.ts'

/**
 * The day folders whose frames `--keep-days N` removes: those more than N-1 days before today,
 * so N = 1 keeps only today. Timelapses are never chosen; they are the point of keeping days.
 */
export function daysToPrune(days: string[], today: string, keepDays: number): string[] {
  return days.filter((day) => isDay(day) && daysBetween(day, today) >= keepDays).sort()
}
