import { callNode } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { jobHeader, jobLine, printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm jobs [--home DIR] [--json]

Lists every job the running node's ledger holds, oldest first: id, status, frames done, renderer,
size and name. Statuses: queued, running, complete (all frames verified, stitching), stitched,
failed, cancelled.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print a JSON array of jobs

Example:
  farm jobs --home ~/.farm
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('jobs', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length > 0) throw new UsageError(`farm jobs takes no arguments, got '${positionals[0]}'`)
    const jobs = await callNode(resolveHome(values.home), 'jobs')
    if (values.json) printJson(jobs)
    else if (jobs.length === 0)
      process.stderr.write('farm: no jobs yet: submit one with `farm submit SCENE --frames A-B`\n')
    else process.stdout.write(`${[jobHeader(), ...jobs.map(jobLine)].join('\n')}\n`)
    return 0
  },
}
