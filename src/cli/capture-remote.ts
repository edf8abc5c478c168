import { type Redact, type RemoteVerifyReport, verifyRemote } from '../capture/index.ts'

/** `farm capture verify --remote`: the report, and exit 1 when any file is missing or differs on either side. */
export async function verifyOnRemote(
  dir: string,
  remote: string,
  sample: number | 'all',
  redact: Redact,
  json: boolean,
): Promise<number> {
  const report = await verifyRemote({ dir, remote, sample, redact })
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else printReport(report)
  return report.problems.length === 0 ? 0 : 1
}

function printReport(report: RemoteVerifyReport): void {
  const out = (line: string) => process.stdout.write(`${line}\n`)
  for (const p of report.problems) out(`${p.problem.padEnd(14)} ${p.path}: ${p.detail}`)
  const how = [
    report.byHash > 0 ? `${report.byHash} by ${report.hash}` : '',
    report.downloaded > 0 ? `${report.downloaded} downloaded and hashed` : '',
    report.bySize > 0 ? `${report.bySize} by size only` : '',
  ].filter(Boolean)
  const problems = `${report.problems.length} ${report.problems.length === 1 ? 'problem' : 'problems'}`
  const requeued = report.requeued > 0 ? ` (${report.requeued} files queued to be sent again)` : ''
  out(
    `${report.compared} files of ${report.days} days compared with ${report.remote}${how.length > 0 ? `: ${how.join(', ')}` : ''}; ${problems}${requeued}`,
  )
}
