import { callNode, shortJobId } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm logs JOB FRAME [--home DIR] [--json]

Prints the renderer's own error for FRAME of JOB: the full output when this node rendered it,
else the tail the worker wrote to the ledger.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print JSON

Example:
  farm logs 3fa2c1 17
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('logs', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length !== 2 || !/^\d+$/.test(positionals[1]!))
      throw new UsageError('farm logs takes a job id and a frame number, e.g. `farm logs 3fa2c1 17`')
    const logs = await callNode(resolveHome(values.home), 'logs', {
      id: positionals[0]!,
      frame: Number(positionals[1]),
    })
    if (values.json) {
      printJson(logs)
      return 0
    }
    if (!logs.lastError) {
      process.stderr.write(`farm: frame ${logs.frame} of job ${shortJobId(logs.job)} has not failed\n`)
      return 0
    }
    const { worker, attempt } = logs.lastError
    process.stderr.write(
      `farm: frame ${logs.frame} failed ${logs.failures}x; last on ${worker}, attempt ${attempt}\n`,
    )
    process.stdout.write(`${(logs.localLog ?? logs.lastError.error).trimEnd()}\n`)
    return 0
  },
}
