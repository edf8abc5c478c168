import { queryCommand } from './query.ts'

export const command = queryCommand(
  'peers',
  'peers',
  `Usage: farm peers [--home DIR] [--json]

Lists the peers connected to the node running in DIR: peer id, latency of the last ping and
the addresses of the connections.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print a JSON array of {id, addresses, latencyMs}

Example:
  farm peers --home ~/.farm
`,
  (peers) => {
    if (peers.length === 0) {
      process.stderr.write('farm: no peers connected\n')
      return
    }
    for (const peer of peers) {
      const latency =
        peer.latencyMs === undefined || peer.latencyMs === null
          ? '   ? ms'
          : `${String(peer.latencyMs).padStart(4)} ms`
      process.stdout.write(`${peer.id}  ${latency}  ${peer.addresses.join(' ')}\n`)
    }
  },
)
