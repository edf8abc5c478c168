import { callNode, shortJobId } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

const flags = flagsOf('reprice')

export const command: Command = {
  help: `Usage: farm reprice JOB --price CREDITS [--home DIR] [--json]

Sets a new price per WU for JOB (only the node that submitted it can). Jobs are served highest
price per WU first, then oldest first: workers take the new order at once, and frames verified
from now on are paid at the new price.

Options:
  --price CREDITS  credits paid per WU rendered from now on (required)
  --home DIR       the node's home (default: $FARM_HOME or ~/.farm)
  --json           print the job as JSON

Example:
  farm reprice 3fa2c1 --price 5
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('reprice', argv, {
      price: { type: 'string' },
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length !== 1)
      throw new UsageError('farm reprice takes one job id, e.g. `farm reprice 3fa2c1 --price 5`')
    const price = flags.between('price', values.price, 0, Number.MAX_SAFE_INTEGER / 1000)
    if (price === undefined) throw new UsageError('farm reprice needs --price CREDITS, e.g. --price 5')
    const job = await callNode(resolveHome(values.home), 'reprice', {
      id: positionals[0]!,
      pricePerWU: Math.round(price * 1000),
    })
    if (values.json) printJson(job)
    else
      process.stderr.write(`farm: job ${shortJobId(job.id)} (${job.name}) now pays ${price} credits per WU\n`)
    return 0
  },
}
