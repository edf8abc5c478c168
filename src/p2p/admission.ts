import { ADMIT_PROTOCOL } from './constants.ts'
import { ADMISSION_WINDOW_MS, MAX_STRANGERS, STRANGER_RETRY_MS } from './limits.ts'

/**
 * Who a peer is to this node's ledger: a member (admitted, not revoked), revoked, or a stranger
 * (no admit names it, as far as this node knows). The part above p2p, which knows what entries
 * mean, tells; the swarm only acts on it.
 */
export type PeerStanding = 'member' | 'revoked' | 'stranger'

export interface MembershipView {
  standing(peer: string): PeerStanding
  /** Every member, this node included. */
  members(): readonly string[]
  /** Calls `listener` whenever a standing may have changed; returns the unsubscribe. */
  onChange(listener: () => void): () => void
}

export interface GateInit {
  /** Without one, every peer is a member: a swarm with no membership (tests, tools). */
  view?: MembershipView
  self: string
  /** Disconnects `peer` and says why, for a line in the log. */
  drop: (peer: string, reason: string) => void
  now?: () => number
  windowMs?: number
  retryMs?: number
  maxStrangers?: number
}

/**
 * The connection gate. A revoked peer and a peer cooling off after a flood are refused always. A
 * stranger can only be told from a member that has not synced yet once this node has synced with
 * a member since it started (or knows no member but itself): until then it serves everyone, as
 * it did before membership. From then on, a stranger may connect (at most MAX_STRANGERS at once)
 * and speak only /farm/admit/1, to present its invite, for ADMISSION_WINDOW_MS from its first
 * connection; then it is disconnected and refused for STRANGER_RETRY_MS. Admitted meanwhile, it is
 * a member like any other.
 */
export class Gate {
  private readonly init: GateInit
  private readonly now: () => number
  private synced = false
  /** When each stranger's window ends, from its first connection: reconnecting does not restart it. */
  private readonly windows = new Map<string, { ends: number; timer: NodeJS.Timeout }>()
  private readonly strangers = new Set<string>()
  private readonly cooling = new Map<string, number>()

  constructor(init: GateInit) {
    this.init = init
    this.now = init.now ?? Date.now
  }

  standing(peer: string): PeerStanding {
    return this.init.view?.standing(peer) ?? 'member'
  }

  /** Whether this node can tell strangers from members whose admission it has not seen yet. */
  get judging(): boolean {
    const view = this.init.view
    if (view === undefined) return false
    return this.synced || view.members().every((peer) => peer === this.init.self)
  }

  /** Whether a connection to or from `peer` is refused now (the libp2p connection gater asks). */
  refuses(peer: string): boolean {
    if (this.coolingOff(peer)) return true
    const standing = this.standing(peer)
    if (standing === 'revoked') return true
    if (standing === 'member' || !this.judging) return false
    const window = this.windows.get(peer)
    if (window !== undefined) return window.ends <= this.now()
    return this.strangers.size >= (this.init.maxStrangers ?? MAX_STRANGERS)
  }

  /** Whether `peer` may use `protocol` (a stream protocol or the gossip topic). */
  mayUse(peer: string, protocol: string): boolean {
    const standing = this.standing(peer)
    // What a flooder sent before it was cut off may still be queued: none of it is read.
    if (standing === 'revoked' || this.coolingOff(peer)) return false
    return standing === 'member' || !this.judging || protocol === ADMIT_PROTOCOL
  }

  /** Whether `peer` is kept as a member (tagged, redialled, its address offered to others). */
  keeps(peer: string): boolean {
    const standing = this.standing(peer)
    return standing === 'member' || (standing === 'stranger' && !this.judging)
  }

  connected(peer: string): void {
    if (this.standing(peer) !== 'stranger' || !this.judging) return
    this.strangers.add(peer)
    if (this.windows.has(peer)) return
    const windowMs = this.init.windowMs ?? ADMISSION_WINDOW_MS
    const timer = setTimeout(() => this.windowEnded(peer), windowMs)
    timer.unref()
    this.windows.set(peer, { ends: this.now() + windowMs, timer })
  }

  disconnected(peer: string): void {
    this.strangers.delete(peer)
  }

  /** A sync with `peer` completed: once one was with a member, this node judges strangers. */
  syncedWith(peer: string, connected: readonly string[]): void {
    if (this.synced || this.standing(peer) !== 'member') return
    this.synced = true
    this.changed(connected)
  }

  /** Standings may have changed: revoked peers go, strangers get their window, members lose theirs. */
  changed(connected: readonly string[]): void {
    for (const peer of connected) {
      const standing = this.standing(peer)
      if (standing === 'revoked') this.init.drop(peer, 'it was removed from the swarm')
      else if (standing === 'member') this.forgetWindow(peer)
      else this.connected(peer)
    }
  }

  /** Refuses `peer` for `ms` (the caller disconnects it). */
  coolOff(peer: string, ms: number): void {
    this.cooling.set(peer, this.now() + ms)
  }

  stop(): void {
    for (const window of this.windows.values()) clearTimeout(window.timer)
  }

  private coolingOff(peer: string): boolean {
    const until = this.cooling.get(peer)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.cooling.delete(peer)
    return false
  }

  private windowEnded(peer: string): void {
    if (this.standing(peer) !== 'stranger') {
      this.forgetWindow(peer)
      return
    }
    const retryMs = this.init.retryMs ?? STRANGER_RETRY_MS
    // Refused while the window is past; forgotten after the retry wait, so a new window may start.
    const window = this.windows.get(peer)!
    window.timer = setTimeout(() => this.windows.delete(peer), retryMs)
    window.timer.unref()
    if (this.strangers.delete(peer)) {
      const windowMs = this.init.windowMs ?? ADMISSION_WINDOW_MS
      this.init.drop(
        peer,
        `no member admitted it within ${windowMs / 1000} s; refused for ${retryMs / 1000} s`,
      )
    }
  }

  private forgetWindow(peer: string): void {
    clearTimeout(this.windows.get(peer)?.timer)
    this.windows.delete(peer)
    this.strangers.delete(peer)
  }
}
