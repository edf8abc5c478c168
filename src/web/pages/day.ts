import type { DayDetail } from '../library.ts'
import { monthTitle } from './calendar.ts'
import { escapeHtml, fileLink, link, page, plural } from './layout.ts'

/** `143000.jpg` reads as 14:30:00; a name of another form is shown as it is. */
export function frameLabel(file: string): string {
  const match = /^(\d{2})(\d{2})(\d{2})\.jpg$/.exec(file)
  return match === null ? file : `${match[1]}:${match[2]}:${match[3]}`
}

/**
 * A day: its timelapse above a scrubber that steps through the frames (the still shown over the
 * video), the frames as thumbnails, links to the neighbouring days, and the frames as a zip.
 * The script reads the frames from the thumbnail links, so the page works without it too.
 */
export function dayPage(detail: DayDetail, opts: { jobs: boolean }): string {
  const { summary, frames } = detail
  const day = summary.day
  const prefix = '../'
  const poster = summary.poster ? ` poster="${fileLink(prefix, summary.poster)}"` : ''
  const video = summary.hasTimelapse
    ? `<video id="timelapse" controls muted playsinline preload="auto"${poster} src="${link(prefix, 'files', 'timelapse', `${day}.mp4`)}"></video>`
    : '<p class="empty">No timelapse yet.</p>'
  const stage = `<div class="stage" id="stage">${video}<a id="still-link" class="still" hidden><img id="still" alt=""></a></div>`
  const scrubber =
    frames.length === 0
      ? ''
      : `<div class="scrubber"><input type="range" id="scrub" min="0" max="${frames.length - 1}" value="0" step="1" aria-label="Frame of the day"><output id="scrub-time" for="scrub">${escapeHtml(frameLabel(frames[0]!.file))}</output></div>
<p class="keys">&larr; / &rarr;: previous / next frame · Home / End: first / last · Space: play · PageUp / PageDown: previous / next day</p>`
  const dayNav = `<nav class="pager">${
    detail.previous
      ? `<a rel="prev" href="${link(prefix, 'day', detail.previous)}">&larr; ${detail.previous}</a>`
      : '<span></span>'
  }<a href="${link(prefix, 'month', day.slice(0, 7))}">${monthTitle(day.slice(0, 7))}</a>${
    detail.next
      ? `<a rel="next" href="${link(prefix, 'day', detail.next)}">${detail.next} &rarr;</a>`
      : '<span></span>'
  }</nav>`
  const download =
    frames.length > 0
      ? ` · <a class="download" href="${link(prefix, 'download', `${day}.zip`)}" download>download the frames (.zip)</a>`
      : ''
  const stats = `<p class="notes">${plural(summary.frames, 'frame')}${summary.missed > 0 ? ` · ${summary.missed} missed captures` : ''}${summary.final ? '' : ' · in progress'}${download}</p>`
  const grid = frames.map((f, i) => {
    const label = escapeHtml(frameLabel(f.file))
    const full = link(prefix, 'files', 'frames', day, f.file)
    const img = f.hasThumb
      ? `<img src="${link(prefix, 'files', 'thumbs', day, f.file)}" alt="" loading="lazy">`
      : ''
    return `<a class="frame" href="${full}" data-index="${i}" data-file="${escapeHtml(f.file)}" data-label="${label}" title="${escapeHtml(f.time)}">${img}<span>${label}</span></a>`
  })
  const pruned = summary.pruned
    ? '<p class="notes">The frames of this day were pruned (--keep-days); the timelapse stays.</p>'
    : ''
  const body = `${dayNav}\n${stage}\n${scrubber}\n${stats}\n${pruned}<div class="frames" id="frames">\n${grid.join('\n')}\n</div>`
  return page({ title: day, prefix, jobs: opts.jobs, page: 'day', body })
}
