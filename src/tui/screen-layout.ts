import { stripLabelWidth } from './frame-strip.ts'
import { allocateRows } from './layout.ts'
import type { DashboardModel, JobRow } from './model.ts'

/** Body rows of each section of the overview: tables, the selected job's errors, the log. */
export interface OverviewRows {
  workers: number
  jobs: number
  errors: number
  log: number
}

/** At most this many errors on the overview: the job view shows more. */
const OVERVIEW_ERRORS = 3
const JOB_VIEW_STRIP_LINES = 12

function errorsOf(model: DashboardModel, job: JobRow | undefined): number {
  return job !== undefined && model.detail?.jobId === job.id ? model.detail.errors.length : 0
}

/**
 * Header, the workers' and jobs' titles, the selected job's title, strip and sparkline, and the
 * key bar take a line each; the other lines are shared out so that the screen is never taller
 * than the terminal.
 */
export function overviewRows(model: DashboardModel, job: JobRow | undefined, rows: number): OverviewRows {
  const fixed = 1 + 1 + 1 + (job ? 3 : 0) + 1
  const [jobs = 0, workers = 0, errors = 0, log = 0] = allocateRows(rows - fixed, [
    { need: Math.max(1, model.jobs.length) },
    { need: Math.max(1, model.workers.length) },
    { need: errorsOf(model, job), max: OVERVIEW_ERRORS },
    { need: model.log.length },
  ])
  return { workers, jobs, errors, log }
}

export interface JobViewRows {
  strip: number
  errors: number
  log: number
}

/**
 * The job view: header, the job's row with titles, its title, sparkline and the key bar are
 * fixed. The frame strip is what the view is for, so it takes its lines first, leaving a line
 * each to the errors and the log when they have something to show.
 */
export function jobViewRows(model: DashboardModel, job: JobRow, rows: number, width: number): JobViewRows {
  const detail = model.detail?.jobId === job.id ? model.detail : null
  const frames = detail?.frames.length ?? 0
  const lineWidth = width - (detail ? stripLabelWidth(detail.firstFrame, frames) : 0)
  const available = rows - (1 + 2 + 1 + 1 + 1)
  const errorsNeed = errorsOf(model, job)
  const keep = (errorsNeed > 0 ? 1 : 0) + (model.log.length > 0 ? 1 : 0)
  const stripNeed = Math.ceil(frames / Math.max(1, lineWidth))
  const strip = Math.max(1, Math.min(stripNeed, JOB_VIEW_STRIP_LINES, available - keep))
  const [errors = 0, log = 0] = allocateRows(available - strip, [
    { need: errorsNeed },
    { need: model.log.length },
  ])
  return { strip, errors, log }
}
