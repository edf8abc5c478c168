import { callNode, shortJobId } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm cancel JOB [--home DIR] [--json]

Writes a cancel for JOB (only the node that submitted it can): every worker stops its renders
of the job within seconds and nothing more is paid for it.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print the job as JSON

Example:
  farm cancel 3fa2c1
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('cancel', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length !== 1)
      throw new UsageError('farm cancel takes one job id, e.g. `farm cancel 3fa2c1`')
    const job = await callNode(resolveHome(values.home), 'cancel', { id: positionals[0]! })
    if (values.json) printJson(job)
    else process.stderr.write(`farm: cancelled job ${shortJobId(job.id)} (${job.name})\n`)
    return 0
  },
}
