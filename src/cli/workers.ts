import { callNode } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm workers [--home DIR] [--json]

Lists every node the ledger knows: name, owner, renderers, cores, WUPM (speed), frames and WU
rendered, and whether this node is connected to it now.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print a JSON array

Example:
  farm workers
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('workers', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length > 0)
      throw new UsageError(`farm workers takes no arguments, got '${positionals[0]}'`)
    const workers = await callNode(resolveHome(values.home), 'workers')
    if (values.json) {
      printJson(workers)
      return 0
    }
    for (const w of workers) {
      process.stdout.write(
        `${w.live ? 'online ' : 'offline'} ${w.name.padEnd(16)} ${w.owner.padEnd(10)} ${w.wupm.toFixed(2).padStart(6)} WUPM ${String(w.cores).padStart(3)} cores ${String(w.frames).padStart(5)} frames ${w.wu.toFixed(2).padStart(8)} WU  ${w.renderers.join(', ') || 'no renderer'}  ${w.id}\n`,
      )
    }
    return 0
  },
}
