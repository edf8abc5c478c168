import { queryCommand } from './query.ts'

export const command = queryCommand(
  'peers',
  'peers',
  `Usage: farm peers [--home DIR] [--json]

Lists the peers connected to the node running in DIR: peer id, latency of the last ping, how
the peer is reached and the addresses of the connections. A peer is reached
  direct         over a connection one of the two dialled
  relayed        through a member that relays (named after "via"): neither could dial the other
  hole-punched   directly, over a connection hole punching (DCUtR) opened to replace a relayed one

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print a JSON array of {id, addresses, latencyMs, path, relay}

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
      const path = peer.path === 'relayed' ? `relayed via ${peer.relay ?? '?'}` : peer.path
      process.stdout.write(`${peer.id}  ${latency}  ${path.padEnd(12)}  ${peer.addresses.join(' ')}\n`)
    }
  },
)
