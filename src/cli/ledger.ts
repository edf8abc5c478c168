import { queryCommand } from './query.ts'

export const command = queryCommand(
  'ledger',
  'ledger',
  `Usage: farm ledger [--home DIR] [--json]

Shows the ledger of the node running in DIR: each author's feed and its head, the entry count,
whether the connected peers held the same entries (the node syncs with each peer to check), and
the authors a fork proof shows signing two versions of their feed.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print {author, clock, entries, peers: [{id, clock, inSync}], inSync, forked: [{author, seq}]}

Example:
  farm ledger --home ~/.farm --json
`,
  (summary) => {
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
    for (const { author, seq } of summary.forked ?? [])
      lines.push(
        `forked: ${author} signed two versions of its feed at seq ${seq}; none of it counts from there`,
      )
    process.stdout.write(`${lines.join('\n')}\n`)
  },
)
