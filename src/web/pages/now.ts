import type { LatestFrame } from '../library.ts'
import { frameLabel } from './day.ts'
import { escapeHtml, link, page } from './layout.ts'

/**
 * The latest frame, large, and today's timelapse so far. The script listens to `events`
 * (server-sent) and swaps in each new frame, and the video when it was rebuilt, without a reload.
 */
export function nowPage(latest: LatestFrame | undefined, opts: { jobs: boolean }): string {
  const prefix = ''
  const figure =
    latest === undefined
      ? '<figure class="latest"><img id="latest" alt="" hidden><figcaption id="latest-time">No frame yet: this page shows the first one as soon as it is saved.</figcaption></figure>'
      : `<figure class="latest"><a id="latest-link" href="${link(prefix, 'day', latest.day)}"><img id="latest" src="${link(prefix, 'files', 'frames', latest.day, latest.file)}" alt="The latest frame" data-day="${escapeHtml(latest.day)}" data-file="${escapeHtml(latest.file)}"></a><figcaption id="latest-time">${escapeHtml(latest.day)} ${escapeHtml(frameLabel(latest.file))}</figcaption></figure>`
  const video =
    latest?.timelapseStamp === undefined
      ? '<video id="today" controls muted playsinline preload="metadata" hidden></video>'
      : `<video id="today" controls muted playsinline preload="metadata" data-stamp="${escapeHtml(latest.timelapseStamp)}" src="${link(prefix, 'files', 'timelapse', `${latest.day}.mp4`)}?v=${escapeHtml(encodeURIComponent(latest.timelapseStamp))}"></video>`
  const body = `<p class="notes" id="live-status">Connecting…</p>
${figure}
<h2>The day so far</h2>
${video}`
  return page({
    title: 'Now',
    prefix,
    jobs: opts.jobs,
    page: 'now',
    body,
    data: { events: 'events', files: 'files/', days: 'day/' },
  })
}
