import { shortJobId } from '../../ledger/index.ts'
import type { JobSummary } from '../jobs.ts'
import { escapeHtml, page } from './layout.ts'

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
        ? `<video controls muted preload="metadata" src="job-video/${escapeHtml(encodeURIComponent(j.id))}.mp4"></video>`
        : ''
      const error = j.error ? `<div class="error">${escapeHtml(j.error)}</div>` : ''
      return `<tr class="job ${escapeHtml(j.status)}"><td><code>${escapeHtml(shortJobId(j.id))}</code></td><td>${escapeHtml(j.name)}</td><td>${escapeHtml(j.renderer)}</td><td>${escapeHtml(j.owner ?? '')}</td><td class="status">${escapeHtml(j.status)}</td><td>${j.framesDone}/${j.framesTotal}</td>${dated ? `<td>${escapeHtml(j.submittedAt ?? '')}</td>` : ''}<td>${video}${error}</td></tr>`
    })
    body = `<table class="jobs">\n<tr><th>Job</th><th>Scene</th><th>Renderer</th><th>Owner</th><th>Status</th><th>Frames</th>${dated ? '<th>Submitted</th>' : ''}<th>Video</th></tr>\n${rows.join('\n')}\n</table>`
  }
  return page({ title: 'Render jobs', prefix: '', jobs: true, page: 'jobs', body })
}
