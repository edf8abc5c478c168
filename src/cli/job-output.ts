import type { FailedFrame, JobDetail, JobSummary } from '../farm/index.ts'
import { shortJobId } from '../farm/index.ts'
import { formatDuration, sparkline } from '../render/index.ts'

/** What the job commands print, in one place so `jobs`, `status`, `fetch` and `cancel` agree. */

export function jobLine(job: JobSummary): string {
  const p = job.progress
  const done = p.verified + p.rendered
  const line = `${shortJobId(job.id)}  ${job.status.padEnd(9)} ${String(done).padStart(5)}/${String(p.total).padEnd(5)} ${job.renderer.padEnd(7)} ${job.size.padEnd(9)} ${job.name}`
  return job.stalled ? `${line}\n${' '.repeat(14)}waiting: ${job.stalled}` : line
}

export function jobHeader(): string {
  return `${'JOB'.padEnd(12)}  ${'STATUS'.padEnd(9)} ${'DONE'.padStart(5)}/${'TOTAL'.padEnd(5)} ${'RENDER'.padEnd(7)} ${'SIZE'.padEnd(9)} NAME`
}

const SPARK_COLUMNS = 60

/** WU per frame as the dashboard draws it, the extrapolated total and the ETA of a running job. */
export function estimateLines(job: JobDetail): string[] {
  const { wu, totalWU, etaMs, workers } = job.estimate
  if (totalWU === null) return []
  const perCell = Math.max(1, Math.ceil(wu.length / SPARK_COLUMNS))
  const eta =
    job.status === 'queued' || job.status === 'running'
      ? etaMs === null
        ? '; no worker can take it now'
        : `; ETA ${formatDuration(etaMs)} on ${workers} worker${workers === 1 ? '' : 's'}`
      : ''
  return [
    `WU per frame${perCell > 1 ? ` (${perCell} frames a bar)` : ''}: ${sparkline(wu, perCell)}`,
    `estimated total ${totalWU.toFixed(3)} WU${eta}`,
  ]
}

export function failedLines(failed: FailedFrame[]): string[] {
  return failed.map(
    (f) =>
      `frame ${f.frame}: failed ${f.failures}x, last on ${f.workerName ?? f.worker} (attempt ${f.attempt}):\n${indent(f.error)}`,
  )
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}
