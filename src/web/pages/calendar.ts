import type { DaySummary } from '../library.ts'
import { escapeHtml, fileLink, link, page, plural } from './layout.ts'

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

export function monthTitle(month: string): string {
  return `${MONTHS[Number(month.slice(5)) - 1]} ${month.slice(0, 4)}`
}

/** Months that have captures, oldest first, with how many days each has. */
export function monthsOf(days: string[]): Map<string, number> {
  const months = new Map<string, number>()
  for (const day of days) months.set(day.slice(0, 7), (months.get(day.slice(0, 7)) ?? 0) + 1)
  return months
}

function cell(summary: DaySummary | undefined, day: string, prefix: string): string {
  const date = `<span class="date">${Number(day.slice(8))}</span>`
  if (summary === undefined) return `<div class="cell none">${date}</div>`
  const picture = summary.poster
    ? `<img src="${fileLink(prefix, summary.poster)}" alt="" loading="lazy">`
    : '<span class="nopicture"></span>'
  const notes = [
    summary.pruned ? 'video only' : plural(summary.frames, 'frame'),
    summary.missed > 0 ? `${summary.missed} missed` : '',
    summary.final ? '' : 'in progress',
  ]
    .filter(Boolean)
    .join(' · ')
  return `<a class="cell day" href="${link(prefix, 'day', day)}" title="${escapeHtml(day)}">${picture}${date}<span class="notes">${notes}</span></a>`
}

/** Every year with captures, newest first, its months linked where they have days. */
function monthIndex(months: Map<string, number>, current: string, prefix: string): string {
  const years = [...new Set([...months.keys()].map((m) => m.slice(0, 4)))].sort().reverse()
  const rows = years.map((year) => {
    const links = MONTHS.map((name, i) => {
      const month = `${year}-${String(i + 1).padStart(2, '0')}`
      const count = months.get(month)
      const short = name.slice(0, 3)
      if (count === undefined) return `<span class="month none">${short}</span>`
      const here = month === current ? ' aria-current="page"' : ''
      return `<a class="month" href="${link(prefix, 'month', month)}" title="${plural(count, 'day')}"${here}>${short}</a>`
    })
    return `<li><span class="year">${year}</span>${links.join('')}</li>`
  })
  return `<ul class="months">${rows.join('')}</ul>`
}

/**
 * One month as a calendar, Monday first: each day with captures shows its picture and links to
 * its page. PageUp/PageDown (or Shift+arrows) follow the rel=prev/next links to the neighbouring
 * months that have captures.
 */
export function calendarPage(opts: {
  month: string
  summaries: DaySummary[]
  months: Map<string, number>
  prefix: string
  jobs: boolean
}): string {
  const { month, prefix } = opts
  const year = Number(month.slice(0, 4))
  const monthIndexZero = Number(month.slice(5)) - 1
  const lead = (new Date(Date.UTC(year, monthIndexZero, 1)).getUTCDay() + 6) % 7
  const length = new Date(Date.UTC(year, monthIndexZero + 1, 0)).getUTCDate()
  const byDay = new Map(opts.summaries.map((s) => [s.day, s]))
  const cells = [
    ...WEEKDAYS.map((w) => `<div class="weekday">${w}</div>`),
    ...Array.from({ length: lead }, () => '<div class="cell pad"></div>'),
    ...Array.from({ length }, (_, i) => {
      const day = `${month}-${String(i + 1).padStart(2, '0')}`
      return cell(byDay.get(day), day, prefix)
    }),
  ]
  const known = [...opts.months.keys()].sort()
  const previous = known.filter((m) => m < month).at(-1)
  const next = known.find((m) => m > month)
  const nav = `<nav class="pager">${
    previous
      ? `<a rel="prev" href="${link(prefix, 'month', previous)}">&larr; ${monthTitle(previous)}</a>`
      : '<span></span>'
  }${next ? `<a rel="next" href="${link(prefix, 'month', next)}">${monthTitle(next)} &rarr;</a>` : '<span></span>'}</nav>`
  const frames = opts.summaries.reduce((sum, s) => sum + s.frames, 0)
  const body = `${nav}
<p class="notes">${plural(opts.summaries.length, 'day')} with captures, ${plural(frames, 'frame')}. <span class="keys">PageUp / PageDown: previous / next month</span></p>
<div class="calendar">
${cells.join('\n')}
</div>
${monthIndex(opts.months, month, prefix)}`
  return page({ title: monthTitle(month), prefix, jobs: opts.jobs, page: 'calendar', body })
}

export function emptyPage(jobs: boolean): string {
  return page({
    title: 'Timelapses',
    prefix: '',
    jobs,
    page: 'calendar',
    body: '<p class="empty">No captures yet. Start <code>farm capture --source ...</code> with the same --dir.</p>',
  })
}
