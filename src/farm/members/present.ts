import type { Ledger } from '../../ledger/index.ts'
import { ADMIT_PROTOCOL, type InviteToken, type Swarm } from '../../p2p/index.ts'
import { FarmError } from '../errors.ts'
import { admitRequest, readAnswer } from './admission.ts'
import { standingOf } from './view.ts'

/**
 * How long a joining node tries to be admitted: long enough for the invite's members to come up
 * and gossip the admit; then `farm join` says who it asked and exits, keeping the invite for the
 * next start.
 */
export const ADMISSION_TIMEOUT_MS = 60_000
/** Between rounds of asking every connected peer. */
const ROUND_MS = 1_000

export interface Joiner {
  home: string
  ledger: Ledger
  swarm: Pick<Swarm, 'peers' | 'ask' | 'syncWith' | 'waitForPeer'>
  log: (message: string) => void
}

/**
 * Presents the invite's token to connected members until one admits this node and the admit is
 * in this node's own ledger (by a sync with that member). A member's refusal (expired, used up,
 * another swarm...) ends it with INVITE_REFUSED in that member's words; reaching no member that
 * admits within ADMISSION_TIMEOUT_MS, with NOT_ADMITTED.
 */
export async function presentInvite(
  joiner: Joiner,
  token: InviteToken,
  timeoutMs = ADMISSION_TIMEOUT_MS,
): Promise<void> {
  const { ledger, swarm } = joiner
  const deadline = Date.now() + timeoutMs
  const tried = new Set<string>()
  while (!admitted(ledger)) {
    const left = deadline - Date.now()
    if (left <= 0) throw FarmError.NOT_ADMITTED(joiner.home, timeoutMs / 1000, [...tried])
    await swarm.waitForPeer({ signal: AbortSignal.timeout(left) })
    for (const { id } of swarm.peers()) {
      tried.add(id)
      const answer = await swarm
        .ask(id, ADMIT_PROTOCOL, admitRequest(token), { signal: AbortSignal.timeout(Math.max(1, left)) })
        .then(readAnswer)
        // A member still starting does not answer yet, a peer not speaking it is no member:
        // either way, ask the next.
        .catch(() => undefined)
      if (answer === undefined) continue
      if (!answer.ok) {
        if (answer.retry) continue
        throw FarmError.INVITE_REFUSED(id, answer.message)
      }
      // The admit is in the member's feed: a sync brings it (and everything before it) here.
      await swarm.syncWith(id)
      if (admitted(ledger)) {
        joiner.log(`admitted to the swarm by ${id}`)
        return
      }
    }
    await new Promise((r) => setTimeout(r, Math.min(ROUND_MS, Math.max(0, deadline - Date.now()))))
  }
}

function admitted(ledger: Ledger): boolean {
  const standing = standingOf(ledger, ledger.author)
  return standing.admitted && !standing.revoked
}
