import { callNode } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm remove NODE [--home DIR] [--json]

Removes NODE from the swarm (the founder may remove any member, an admin any member but an
admin): writes a \`revoke\` naming the last entry of NODE's feed this node holds. Every node then
ignores NODE's later entries and refuses its connections. A removed node cannot come back under
its peer id. NODE is a peer id, a unique prefix of one, or a unique node name.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print what was removed as JSON

Example:
  farm remove laptop
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('remove', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length !== 1)
      throw new UsageError('farm remove takes one node, e.g. `farm remove laptop` or a peer id')
    const removed = await callNode(resolveHome(values.home), 'remove', { node: positionals[0]! })
    if (values.json) printJson(removed)
    else
      process.stderr.write(
        `farm: removed ${removed.name ?? 'node'} (${removed.id}): its entries after #${removed.last} are ignored and its connections refused\n`,
      )
    return 0
  },
}
