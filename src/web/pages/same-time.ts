import type { SameTimeVideo } from '../same-time.ts'
import { monthTitle } from './calendar.ts'
import { escapeHtml, page, plural } from './layout.ts'

export interface SameTimeView {
  months: Map<string, number>
  span: string
  at: string
  /** Undefined until the form was sent. */
  result?: SameTimeVideo | { error: string }
  /** Whether `farm serve` can build them at all (it was started with the capture part wired in). */
  available: boolean
}

function spanOptions(months: Map<string, number>, chosen: string): string {
  const years = [...new Set([...months.keys()].map((m) => m.slice(0, 4)))].sort().reverse()
  const option = (value: string, label: string) =>
    `<option value="${escapeHtml(value)}"${value === chosen ? ' selected' : ''}>${escapeHtml(label)}</option>`
  const groups = years.map((year) => {
    const inYear = [...months.keys()]
      .filter((m) => m.startsWith(year))
      .sort()
      .reverse()
    return `<optgroup label="${year}">${option(year, `all of ${year}`)}${inYear.map((m) => option(m, `${monthTitle(m)} (${plural(months.get(m)!, 'day')})`)).join('')}</optgroup>`
  })
  return groups.join('')
}

/**
 * Pick a span and a time of day; the page plays one frame per day, each the one nearest that
 * time: the season's light and growth in a few seconds. `farm capture --rebuild --span SPAN
 * --at HH:MM` builds the same video from the command line.
 */
export function sameTimePage(view: SameTimeView, opts: { jobs: boolean }): string {
  const form = `<form class="same-time" method="get" action="same-time">
<label>Days <select name="span">${spanOptions(view.months, view.span)}</select></label>
<label>Time <input type="time" name="at" value="${escapeHtml(view.at)}" required></label>
<button type="submit">Build and play</button>
</form>`
  let result = ''
  if (!view.available) {
    result =
      '<p class="empty">This viewer was started without the capture part: build the video with <code>farm capture --rebuild --span SPAN --at HH:MM</code>.</p>'
  } else if (view.result !== undefined && 'error' in view.result) {
    result = `<p class="error">${escapeHtml(view.result.error)}</p>`
  } else if (view.result !== undefined) {
    const video = view.result
    const query = `span=${encodeURIComponent(view.span)}&at=${encodeURIComponent(view.at)}`
    const skipped =
      video.skipped.length === 0
        ? ''
        : ` ${plural(video.skipped.length, 'day')} had no frame near ${escapeHtml(view.at)}: ${video.skipped.map(escapeHtml).join(', ')}.`
    result = `<video id="same-time-video" controls muted playsinline autoplay loop preload="auto" src="same-time.mp4?${escapeHtml(query)}"></video>
<p class="notes" id="same-time-notes">${plural(video.days.length, 'day')}, from ${escapeHtml(video.days[0] ?? '')} to ${escapeHtml(video.days.at(-1) ?? '')}, one frame each at ${video.fps} frames a second.${skipped}</p>
<p class="notes">From the command line: <code>farm capture --rebuild --span ${escapeHtml(view.span)} --at ${escapeHtml(view.at)}</code></p>`
  }
  const empty = view.months.size === 0 ? '<p class="empty">No captures yet.</p>' : ''
  return page({
    title: 'Same time every day',
    prefix: '',
    jobs: opts.jobs,
    page: 'same-time',
    body: `${empty}${form}\n${result}`,
  })
}
