import type { Ledger } from '../../ledger/index.ts'
import { ADMIT_PROTOCOL, type InviteToken, type PeerInfo, type Swarm } from '../../p2p/index.ts'
import { FarmError } from '../errors.ts'
import type { LogLevel } from '../events/events.ts'
import { admitRequest, readAnswer } from './admission.ts'
import { standingOf } from './view.ts'

/**
 * How long a joining node waits, before it says it started, for a member to admit it: a member
 * that is up answers within a second or two, and its refusal then ends `farm join` in its words
 * (exit 2). A node no member admitted by then (none is up yet, as when a Pi joins before the
 * machine that keeps its backups) starts anyway and presents its invite to each member that
 * connects; it writes nothing anyone folds until one admits it.
 */
export const ADMISSION_WAIT_MS = 15_000
/** Between rounds of asking every connected peer. */
const ROUND_MS = 1_000

export interface Joiner {
  ledger: Ledger
  swarm: Pick<Swarm, 'peers' | 'ask' | 'syncWith' | 'waitForPeer' | 'on' | 'off'>
  log: (level: LogLevel, message: string) => void
  /** Called once a member admitted this node (the home forgets the invite). */
  admitted: () => Promise<void>
}

/** Presents a joining node's invite token to members until one admits it (membership/admission.ts). */
export class InvitePresenter {
  private readonly joiner: Joiner
  private readonly token: InviteToken
  private queue: Promise<unknown> = Promise.resolve()
  private done = false
  private readonly onJoined = (peer: PeerInfo) => {
    this.queue = this.queue.then(() => this.presentLater(peer.id))
  }

  constructor(joiner: Joiner, token: InviteToken) {
    this.joiner = joiner
    this.token = token
  }

  /**
   * Presents the token to connected members for up to `waitMs`: true once one admitted this node
   * and the admit is in its own ledger (by a sync with that member), false when none did by then.
   * A member's refusal (expired, used up, another swarm...) throws INVITE_REFUSED in its words.
   */
  async present(waitMs = ADMISSION_WAIT_MS): Promise<boolean> {
    const deadline = Date.now() + waitMs
    while (!this.isAdmitted()) {
      const left = deadline - Date.now()
      if (left <= 0) return false
      const peers = this.joiner.swarm.peers()
      if (peers.length === 0) await this.joiner.swarm.waitForPeer({ signal: AbortSignal.timeout(left) })
      for (const { id } of peers) if (await this.askOne(id)) break
      if (!this.isAdmitted()) await new Promise((r) => setTimeout(r, Math.min(ROUND_MS, left)))
    }
    await this.finish()
    return true
  }

  /** From now on presents the token to each member that connects, until one admits this node. */
  follow(): void {
    this.joiner.swarm.on('peer:joined', this.onJoined)
  }

  stop(): void {
    this.done = true
    this.joiner.swarm.off('peer:joined', this.onJoined)
  }

  private async presentLater(peer: string): Promise<void> {
    if (this.done) return
    try {
      if (await this.askOne(peer)) await this.finish()
    } catch (err) {
      // Refused for good (expired, used up...): asking the next member would change nothing.
      this.stop()
      this.joiner.log(
        'error',
        `${(err as Error).message}; get a new invite and run \`farm join <invite>\` again`,
      )
    }
  }

  /** Asks `peer`: true when it admitted this node; throws when it refused the invite for good. */
  private async askOne(peer: string): Promise<boolean> {
    const { swarm } = this.joiner
    const answer = await swarm
      .ask(peer, ADMIT_PROTOCOL, admitRequest(this.token), { signal: AbortSignal.timeout(ROUND_MS * 10) })
      .then(readAnswer)
      // A member still starting does not answer yet, a peer not speaking it is no member:
      // either way, ask the next.
      .catch(() => undefined)
    if (answer === undefined) return false
    if (!answer.ok) {
      if (answer.retry) return false
      throw FarmError.INVITE_REFUSED(peer, answer.message)
    }
    // The admit is in the member's feed: a sync brings it (and everything before it) here.
    await swarm.syncWith(peer)
    if (!this.isAdmitted()) return false
    this.joiner.log('info', `admitted to the swarm by ${peer}`)
    return true
  }

  private async finish(): Promise<void> {
    this.stop()
    await this.joiner.admitted()
  }

  private isAdmitted(): boolean {
    const { ledger } = this.joiner
    const standing = standingOf(ledger, ledger.author)
    return standing.admitted && !standing.revoked
  }
}
