import { callNode } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'

export const command: Command = {
  help: `Usage: farm peers [--home DIR] [--json]

Lists the peers connected to the node running in DIR: peer id, latency of the last ping and
the addresses of the connections.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print a JSON array of {id, addresses, latencyMs}

Example:
  farm peers --home ~/.farm
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('peers', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length > 0) throw new UsageError(`farm peers takes no arguments, got '${positionals[0]}'`)
    const peers = await callNode(resolveHome(values.home), 'peers')
    if (values.json) {
      process.stdout.write(`${JSON.stringify(peers, null, 2)}\n`)
      return 0
    }
    if (peers.length === 0) {
      process.stderr.write('farm: no peers connected\n')
      return 0
    }
    for (const peer of peers) {
      const latency =
        peer.latencyMs === undefined || peer.latencyMs === null
          ? '   ? ms'
          : `${String(peer.latencyMs).padStart(4)} ms`
      process.stdout.write(`${peer.id}  ${latency}  ${peer.addresses.join(' ')}\n`)
    }
    return 0
  },
}
