import { callNode } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'

export const command: Command = {
  help: `Usage: farm ledger [--home DIR] [--json]

Shows the ledger of the node running in DIR: each author's feed and its head, the entry count,
and whether the connected peers held the same entries (the node syncs with each peer to check).

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print {author, clock, entries, peers: [{id, clock, inSync}], inSync}

Example:
  farm ledger --home ~/.farm --json
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('ledger', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length > 0)
      throw new UsageError(`farm ledger takes no arguments, got '${positionals[0]}'`)
    const summary = await callNode(resolveHome(values.home), 'ledger')
    if (values.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
      return 0
    }
    const lines = [`${summary.entries} entries in ${Object.keys(summary.clock).length} feeds`]
    for (const [author, head] of Object.entries(summary.clock).sort()) {
      lines.push(`  ${author}  head ${head}${author === summary.author ? '  (this node)' : ''}`)
    }
    const behind = summary.peers.filter((p) => !p.inSync).length
    lines.push(
      summary.peers.length === 0
        ? 'no peers connected'
        : summary.inSync
          ? `in sync with all ${summary.peers.length} connected peers`
          : `not in sync: ${behind} of ${summary.peers.length} peers held other entries (now exchanged)`,
    )
    process.stdout.write(`${lines.join('\n')}\n`)
    return 0
  },
}
