import { shortJobId } from '../ledger/index.ts'
import type { JobSummary } from './jobs.ts'
import type { DayFrame, DaySummary } from './library.ts'

/**
 * Server-rendered pages. Every link is relative (`prefix` climbs back to the served root), so
 * the same HTML works at `/` and behind a reverse proxy under any base path.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(opts: { title: string; prefix: string; jobs: boolean; body: string }): string {
  const home = opts.prefix === '' ? './' : opts.prefix
  const jobsLink = opts.jobs ? ` <a href="${opts.prefix}jobs">Render jobs</a>` : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="stylesheet" href="${opts.prefix}style.css">
</head>
<body>
<header><a href="${home}">Timelapses</a>${jobsLink}</header>
<main>
<h1>${escapeHtml(opts.title)}</h1>
${opts.body}
</main>
</body>
</html>
`
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

export function daysPage(days: DaySummary[], opts: { jobs: boolean }): string {
  const items = days.map((d) => {
    const picture = d.poster
      ? `<img src="files/${d.poster}" alt="${d.day}" loading="lazy">`
      : '<div class="nopicture">no picture</div>'
    const notes = [
      plural(d.frames, 'frame'),
      d.missed > 0 ? `${d.missed} missed` : '',
      d.final ? '' : 'in progress',
    ]
      .filter(Boolean)
      .join(' · ')
    const video = d.hasTimelapse ? ` <a class="video" href="files/timelapse/${d.day}.mp4">video</a>` : ''
    return `<li class="day"><a href="day/${d.day}">${picture}<span class="name">${d.day}</span></a><span class="notes">${notes}</span>${video}</li>`
  })
  const body =
    days.length === 0
      ? '<p class="empty">No captures yet. Start <code>farm capture --source ...</code> with the same --dir.</p>'
      : `<ul class="days">\n${items.join('\n')}\n</ul>`
  return page({ title: 'Timelapses', prefix: '', jobs: opts.jobs, body })
}

export function dayPage(summary: DaySummary, frames: DayFrame[], opts: { jobs: boolean }): string {
  const day = summary.day
  const poster = summary.poster ? ` poster="../files/${summary.poster}"` : ''
  const video = summary.hasTimelapse
    ? `<video id="timelapse" controls muted playsinline preload="auto"${poster} src="../files/timelapse/${day}.mp4"></video>`
    : '<p class="empty">No timelapse yet.</p>'
  const stats = `<p class="notes">${plural(summary.frames, 'frame')}${summary.missed > 0 ? ` · ${summary.missed} missed captures` : ''}${summary.final ? '' : ' · in progress'}</p>`
  const grid = frames.map((f) => {
    const label = `${f.file.slice(0, 2)}:${f.file.slice(2, 4)}:${f.file.slice(4, 6)}`
    const img = f.hasThumb
      ? `<img src="../files/thumbs/${day}/${f.file}" alt="${label}" loading="lazy">`
      : label
    return `<a class="frame" href="../files/frames/${day}/${f.file}" title="${escapeHtml(f.time)}">${img}<span>${label}</span></a>`
  })
  const pruned = summary.pruned
    ? '<p class="notes">The frames of this day were pruned (--keep-days); the timelapse stays.</p>'
    : ''
  const body = `${video}\n${stats}\n${pruned}<div class="frames">\n${grid.join('\n')}\n</div>`
  return page({ title: day, prefix: '../', jobs: opts.jobs, body })
}

export function jobsPage(jobs: JobSummary[] | { error: string }): string {
  let body: string
  if ('error' in jobs) {
    body = `<p class="error">${escapeHtml(jobs.error)}</p>`
  } else if (jobs.length === 0) {
    body =
      '<p class="empty">No render jobs yet. Submit one with <code>farm submit scene.pov --frames 1-48</code>.</p>'
  } else {
    const dated = jobs.some((j) => j.submittedAt !== undefined)
    const rows = jobs.map((j) => {
      const video = j.hasVideo
        ? `<video controls muted preload="metadata" src="job-video/${encodeURIComponent(j.id)}.mp4"></video>`
        : ''
      const error = j.error ? `<div class="error">${escapeHtml(j.error)}</div>` : ''
      return `<tr class="job ${j.status}"><td><code>${escapeHtml(shortJobId(j.id))}</code></td><td>${escapeHtml(j.name)}</td><td>${escapeHtml(j.renderer)}</td><td>${escapeHtml(j.owner ?? '')}</td><td class="status">${j.status}</td><td>${j.framesDone}/${j.framesTotal}</td>${dated ? `<td>${escapeHtml(j.submittedAt ?? '')}</td>` : ''}<td>${video}${error}</td></tr>`
    })
    body = `<table class="jobs">\n<tr><th>Job</th><th>Scene</th><th>Renderer</th><th>Owner</th><th>Status</th><th>Frames</th>${dated ? '<th>Submitted</th>' : ''}<th>Video</th></tr>\n${rows.join('\n')}\n</table>`
  }
  return page({ title: 'Render jobs', prefix: '', jobs: true, body })
}

export function notFoundPage(prefix: string): string {
  return page({
    title: 'Not found',
    prefix,
    jobs: false,
    body: '<p>Nothing here. Go back to the list of days.</p>',
  })
}

export const STYLE = `body{font-family:system-ui,sans-serif;margin:0;background:#111;color:#eee}
header{padding:.6rem 1rem;background:#222}header a{color:#9cf;margin-right:1rem;text-decoration:none}
main{padding:1rem}a{color:#9cf}h1{font-size:1.3rem;margin:.2rem 0 1rem}
.days{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:1rem}
.day img,.nopicture{width:100%;aspect-ratio:4/3;object-fit:cover;display:block;background:#333}
.day .name{display:block;font-weight:600;margin:.3rem 0}.notes{color:#aaa;font-size:.9rem}
video{max-width:100%;width:960px;background:#000;display:block}
.frames{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:.5rem;margin-top:1rem}
.frame img{width:100%;display:block}.frame span{font-size:.8rem;color:#aaa}
table.jobs{border-collapse:collapse}table.jobs td,table.jobs th{padding:.3rem .6rem;border-bottom:1px solid #333;text-align:left}
table.jobs video{width:240px}.error{color:#f88}.empty{color:#aaa}
`
