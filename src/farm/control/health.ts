import { holdsAll } from '../../ledger/index.ts'
import { readConfig } from '../home/config.ts'
import type { FarmNode, LedgerSummary } from '../node.ts'

/** `farm status --health`: a container's health check. `reason` is one line. */
export interface NodeHealth {
  healthy: boolean
  reason: string
}

export interface HealthInput {
  /** The ledger after a sync with every connected peer, and each peer's clock as it began. */
  summary: LedgerSummary
  /** Members this node knows of, besides itself: addresses in its home, nodes in its ledger. */
  knownMembers: number
}

/**
 * Up and in sync: every connected peer answered a sync and this node now holds every entry each
 * of them held. No peer at all is healthy only for the first node of a new swarm; a node that
 * knows members but reaches none is cut off (a restart dials them again).
 */
export function nodeHealth({ summary, knownMembers }: HealthInput): NodeHealth {
  const { peers, entries } = summary
  if (peers.length === 0)
    return knownMembers === 0
      ? { healthy: true, reason: `ok: alone in a new swarm, ${entries} entries` }
      : { healthy: false, reason: `no peers connected, of ${knownMembers} members it knows` }
  const unsynced = peers.filter((p) => p.clock === null)
  if (unsynced.length > 0)
    return { healthy: false, reason: `could not sync with ${describePeers(unsynced.map((p) => p.id))}` }
  const behind = peers.filter((p) => !holdsAll(summary.clock, p.clock!))
  if (behind.length > 0) {
    const missing = behind.map((p) => missingEntries(summary.clock, p.clock!))
    return {
      healthy: false,
      reason: `behind ${describePeers(behind.map((p) => p.id))} by ${Math.max(...missing)} entries after a sync`,
    }
  }
  return {
    healthy: true,
    reason: `ok: ${peers.length} ${peers.length === 1 ? 'peer' : 'peers'}, in sync, ${entries} entries`,
  }
}

/** The node's health now: it syncs with every connected peer first (see `ledgerSummary`). */
export async function healthOf(node: FarmNode): Promise<NodeHealth> {
  const summary = await node.ledgerSummary()
  const others = Object.keys(node.state().nodes).filter((id) => id !== node.id).length
  const remembered = (await readConfig(node.home))?.bootstrap.length ?? 0
  return nodeHealth({ summary, knownMembers: Math.max(others, remembered) })
}

function missingEntries(ours: Record<string, number>, theirs: Record<string, number>): number {
  let missing = 0
  for (const [author, seq] of Object.entries(theirs)) missing += Math.max(0, seq - (ours[author] ?? 0))
  return missing
}

/** Peer ids share their first characters: the tail tells them apart. */
function describePeers(ids: string[]): string {
  const [first, ...rest] = ids.map((id) => `…${id.slice(-6)}`)
  return rest.length === 0 ? first! : `${first} and ${rest.length} more`
}
