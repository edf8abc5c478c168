import { callNode } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm admit NODE [--admin] [--home DIR] [--json]

Admits NODE (a peer id) to the swarm without an invite: writes an \`admit\` for it, so its
entries count and members accept its connections. Any member may admit; with --admin, which
only the founder may give, NODE may also remove members (\`farm remove\`). The founder can make
an existing member an admin the same way.

Options:
  --admin      NODE may remove members too (founder only)
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print what was admitted as JSON

Example:
  farm admit 12D3KooWDmbEzCLnKtoNuBEBLRwiNSXNMUiFwNEhqN8tacYMDuAx --admin
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('admit', argv, {
      home: { type: 'string' },
      admin: { type: 'boolean' },
      json: { type: 'boolean' },
    })
    if (positionals.length !== 1) throw new UsageError('farm admit takes one node, e.g. its peer id')
    const admitted = await callNode(resolveHome(values.home), 'admit', {
      node: positionals[0]!,
      admin: values.admin === true,
    })
    if (values.json) printJson(admitted)
    else
      process.stderr.write(
        `farm: admitted ${admitted.name ?? 'node'} (${admitted.id})${values.admin ? ' as an admin' : ''}\n`,
      )
    return 0
  },
}
