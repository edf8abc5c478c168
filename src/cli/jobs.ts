import { jobHeader, jobLine } from './job-output.ts'
import { queryCommand } from './query.ts'

export const command = queryCommand(
  'jobs',
  'jobs',
  `Usage: farm jobs [--home DIR] [--json]

Lists every job the running node's ledger holds, oldest first: id, status, frames done, renderer,
size and name. Statuses: queued, running, complete (all frames verified, stitching), stitched,
failed, cancelled.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print a JSON array of jobs

Example:
  farm jobs --home ~/.farm
`,
  (jobs) => {
    if (jobs.length === 0)
      process.stderr.write('farm: no jobs yet: submit one with `farm submit SCENE --frames A-B`\n')
    else process.stdout.write(`${[jobHeader(), ...jobs.map(jobLine)].join('\n')}\n`)
  },
)
