import type { Command } from './command.ts'

/**
 * Every `farm` subcommand, imported lazily so that `farm --help` or `farm render` never load
 * libp2p, Ink or LevelDB. The summary is here too, so `farm --help` imports nothing at all.
 */
export const commands: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  init: {
    summary: 'create a node home and a new swarm, and print an invite to it',
    load: () => import('./init.ts'),
  },
  invite: { summary: "print an invite to this node's swarm", load: () => import('./invite.ts') },
  join: { summary: 'join a swarm and run this node until stopped', load: () => import('./join.ts') },
  peers: { summary: 'list connected peers with addresses and latency', load: () => import('./peers.ts') },
  ledger: {
    summary: "show the running node's ledger clock and whether it is in sync",
    load: () => import('./ledger.ts'),
  },
}
