import { describe, expect, it } from 'vitest'
import type { DaySummary } from '../../src/web/library.ts'
import { calendarPage, monthsOf } from '../../src/web/pages/calendar.ts'
import { dayPage } from '../../src/web/pages/day.ts'
import { nowPage } from '../../src/web/pages/now.ts'
import { sameTimePage } from '../../src/web/pages/same-time.ts'

const HOSTILE = `"><script>alert(1)</script><img src=x onerror=alert(2)>.jpg`

function summary(day: string, extra: Partial<DaySummary> = {}): DaySummary {
  return { day, frames: 24, missed: 0, pruned: false, final: true, hasTimelapse: true, ...extra }
}

/** Every href/src in the page: relative (a base path works) and never a script. */
function links(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1]!)
}

describe('the month calendar', () => {
  const days = ['2026-10-30', '2026-11-01', '2026-11-21', '2026-12-02']
  const html = calendarPage({
    month: '2026-11',
    summaries: [
      summary('2026-11-01', { poster: 'timelapse/2026-11-01.jpg' }),
      summary('2026-11-21', { frames: 3, missed: 1, final: false }),
    ],
    months: monthsOf(days),
    prefix: '../',
    jobs: false,
  })

  it('lays the month out Monday first, each day with captures linked with its picture and counts', () => {
    expect(html).toContain('<h1>November 2026</h1>')
    // 2026-11-01 is a Sunday: six empty cells before it.
    const cells = html.slice(html.indexOf('class="calendar"')).match(/class="cell[^"]*"/g)!
    expect(cells.slice(0, 7)).toEqual([...Array(6).fill('class="cell pad"'), 'class="cell day"'])
    expect(cells.filter((c) => c.includes('day'))).toHaveLength(2)
    expect(cells.filter((c) => c.includes('none'))).toHaveLength(28)
    expect(html).toContain('href="../day/2026-11-21"')
    expect(html).toContain('src="../files/timelapse/2026-11-01.jpg"')
    expect(html).toContain('3 frames · 1 missed · in progress')
  })
  it('links the neighbouring months that have captures as rel=prev/next, and every month in an index', () => {
    expect(html).toContain('<a rel="prev" href="../month/2026-10">&larr; October 2026</a>')
    expect(html).toContain('<a rel="next" href="../month/2026-12">December 2026 &rarr;</a>')
    expect(html).toContain('href="../month/2026-12" title="1 day"')
    expect(html).toContain('<span class="month none">Jan</span>')
    expect(links(html).every((l) => !l.startsWith('/'))).toBe(true)
  })
})

describe('the day page', () => {
  it('has the video, a scrubber over every frame, the neighbouring days and the zip', () => {
    const html = dayPage(
      {
        summary: summary('2026-11-21', { frames: 2, poster: 'timelapse/2026-11-21.jpg' }),
        frames: [
          { file: '120000.jpg', time: '2026-11-21T12:00:00Z', hasThumb: true },
          { file: '130000.jpg', time: '2026-11-21T13:00:00Z', hasThumb: false },
        ],
        previous: '2026-11-20',
        next: '2026-11-23',
      },
      { jobs: false },
    )
    expect(html).toContain('src="../files/timelapse/2026-11-21.mp4"')
    expect(html).toContain('<input type="range" id="scrub" min="0" max="1"')
    expect(html).toContain('<a rel="prev" href="../day/2026-11-20">')
    expect(html).toContain('<a rel="next" href="../day/2026-11-23">')
    expect(html).toContain('href="../download/2026-11-21.zip" download')
    expect(html).toContain('data-label="13:00:00"')
    expect(links(html).every((l) => !l.startsWith('/'))).toBe(true)
  })
  it('escapes a hostile file name and time from a manifest in text, attributes and links', () => {
    const html = dayPage(
      {
        summary: summary('2026-11-21', { frames: 1, poster: `thumbs/2026-11-21/${HOSTILE}` }),
        frames: [{ file: HOSTILE, time: '"><b>t</b>', hasThumb: true }],
      },
      { jobs: false },
    )
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<img src=x')
    expect(html).not.toContain('<b>t</b>')
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;')
    expect(html).toContain(
      `href="../files/frames/2026-11-21/${encodeURIComponent(HOSTILE).replaceAll("'", '&#39;')}"`,
    )
  })
})

describe('the now and same-time pages', () => {
  it('now: the latest frame, its time, the event stream and the day so far', () => {
    const html = nowPage(
      { day: '2026-11-21', file: '143000.jpg', time: '2026-11-21T14:30:00Z', timelapseStamp: '17-99' },
      { jobs: false },
    )
    expect(html).toContain('src="files/frames/2026-11-21/143000.jpg"')
    expect(html).toContain('<figcaption id="latest-time">2026-11-21 14:30:00</figcaption>')
    expect(html).toContain('data-events="events"')
    expect(html).toContain('src="files/timelapse/2026-11-21.mp4?v=17-99"')
  })
  it('same time: the form offers each month and year, the video plays the chosen span', () => {
    const html = sameTimePage(
      {
        months: monthsOf(['2026-10-02', '2026-11-01', '2026-11-02']),
        span: '2026-11',
        at: '12:00',
        available: true,
        result: { path: '/x.mp4', days: ['2026-11-01', '2026-11-02'], skipped: ['2026-11-03'], fps: 10 },
      },
      { jobs: false },
    )
    expect(html).toContain('<option value="2026-11" selected>November 2026 (2 days)</option>')
    expect(html).toContain('<option value="2026">all of 2026</option>')
    expect(html).toContain('src="same-time.mp4?span=2026-11&#38;at=12%3A00"')
    expect(html).toContain('2 days, from 2026-11-01 to 2026-11-02')
    expect(html).toContain('1 day had no frame near 12:00: 2026-11-03')
    expect(html).toContain('farm capture --rebuild --span 2026-11 --at 12:00')
  })
})
