import { type Entry, type Ledger, type Standing, standingsOf } from '../../ledger/index.ts'
import type { MembershipView, PeerStanding } from '../../p2p/index.ts'

/** A node's standing as the ledger's membership entries say (ledger/membership.ts). */
export function standingOf(ledger: Ledger, peer: string): Standing {
  return standingsOf(ledger.state().membership).of(peer)
}

/**
 * What the swarm is told of each peer, read from the ledger at each call, and news of every
 * `admit` or `revoke` the ledger takes in, so the swarm drops a removed member at once.
 */
export class LedgerMembership implements MembershipView {
  private readonly ledger: Ledger

  constructor(ledger: Ledger) {
    this.ledger = ledger
  }

  standing(peer: string): PeerStanding {
    const standing = standingOf(this.ledger, peer)
    if (!standing.admitted) return 'stranger'
    return standing.revoked ? 'revoked' : 'member'
  }

  members(): readonly string[] {
    return standingsOf(this.ledger.state().membership).members()
  }

  onChange(listener: () => void): () => void {
    return this.ledger.onEntries((entries: Entry[]) => {
      if (entries.some((e) => e.type === 'admit' || e.type === 'revoke')) listener()
    })
  }
}
