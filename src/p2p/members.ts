import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import {
  DIAL_TIMEOUT_MS,
  MEMBER_REDIAL_FIRST_MS,
  MEMBER_REDIAL_MAX_MS,
  MEMBER_TAG,
  MEMBER_TAG_VALUE,
} from './constants.ts'
import type { SwarmLibp2p } from './libp2p-node.ts'

/** The wait before redial round `round` (0 first): doubling from `firstMs`, never over `maxMs`. */
export function redialDelay(
  round: number,
  firstMs = MEMBER_REDIAL_FIRST_MS,
  maxMs = MEMBER_REDIAL_MAX_MS,
): number {
  return Math.min(maxMs, firstMs * 2 ** round)
}

export interface MembersInit {
  /** The node, once the swarm has one. */
  libp2p: () => SwarmLibp2p
  self: string
  refuses: (peer: string) => boolean
  log: (level: 'debug' | 'warn', message: string) => void
}

/**
 * The members a swarm keeps connected: the ones it remembers (its bootstrap list) and every
 * peer it met this run. Each is tagged keep-alive in the peer store, so libp2p's reconnect queue
 * redials one that drops. That queue gives up after a few tries, and a member that never
 * connected this run is not in it at all: so while some remembered member is not connected,
 * the node dials the missing ones again in rounds, waiting redialDelay between them. Without
 * that, a Pi that came up before the machine keeping its backups, or lost its network for a
 * while, would never meet it again. The members each sync offers complete the mesh only
 * through peers that are connected to them: a node that came back and met only a member since
 * removed (which the others refuse, so it offers none of them) would otherwise stay with it and
 * never learn of the removal.
 */
export class Members {
  private readonly init: MembersInit
  private readonly ids = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private round = 0
  private stopped = false

  constructor(init: MembersInit) {
    this.init = init
  }

  /**
   * Remembers the members `addresses` name with /p2p/<id>. An address without a peer id is not
   * a member to call again: nothing could tell whom it reached.
   */
  async remember(addresses: string[]): Promise<void> {
    for (const addr of addresses) {
      const member = memberAddress(addr)
      if (member !== undefined) await this.keep(member.peer, [member.address])
    }
  }

  /** Keeps `peer` (at `multiaddrs`, beside what the peer store knows) as a member. */
  async keep(peer: PeerId, multiaddrs: Multiaddr[] = []): Promise<void> {
    const id = peer.toString()
    if (id === this.init.self || this.init.refuses(id)) return
    this.ids.add(id)
    await this.init
      .libp2p()
      .peerStore.merge(peer, { multiaddrs, tags: { [MEMBER_TAG]: { value: MEMBER_TAG_VALUE } } })
      .catch((err: Error) => this.init.log('warn', `could not remember member ${id}: ${err.message}`))
  }

  /** No longer a member (it misbehaved): neither libp2p nor a round dials it again. */
  async forget(peer: PeerId): Promise<void> {
    this.ids.delete(peer.toString())
    await this.init
      .libp2p()
      .peerStore.merge(peer, { tags: { [MEMBER_TAG]: undefined } })
      .catch(() => undefined)
  }

  /** A peer connected: it is a member from now on; rounds start over for whoever is still missing. */
  joined(peer: PeerId): void {
    this.cancelRounds()
    void this.keep(peer).then(() => this.maybeRedial())
  }

  /** Call when a member may be missing (a peer left, the dials at start are done). */
  maybeRedial(): void {
    if (this.stopped || this.timer !== undefined || this.missing().length === 0) return
    this.timer = setTimeout(() => void this.dialRound(), redialDelay(this.round++))
    this.timer.unref()
  }

  stop(): void {
    this.stopped = true
    this.cancelRounds()
  }

  private cancelRounds(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.round = 0
  }

  /** Remembered members this node is not connected to and may dial. */
  private missing(): string[] {
    const node = this.init.libp2p()
    if (node.status !== 'started') return []
    const connected = new Set(node.getPeers().map((p) => p.toString()))
    return [...this.ids].filter((id) => !connected.has(id) && !this.init.refuses(id))
  }

  /** One round: every missing member, by the addresses the peer store keeps for it; one log line for it. */
  private async dialRound(): Promise<void> {
    this.timer = undefined
    const targets = this.missing()
    if (targets.length === 0) return
    const dials = targets.map((id) =>
      this.init.libp2p().dial(peerIdFromString(id), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }),
    )
    await Promise.allSettled(dials)
    const left = this.missing()
    if (left.length === 0) return
    const again = `dialling them again in ${redialDelay(this.round) / 1000} s`
    this.init.log(
      'debug',
      this.init.libp2p().getPeers().length === 0
        ? `connected to no peer: none of the ${targets.length} remembered members answered; ${again}`
        : `${left.length} of the remembered members did not answer; ${again}`,
    )
    this.maybeRedial()
  }
}

function memberAddress(addr: string): { peer: PeerId; address: Multiaddr } | undefined {
  try {
    const address = multiaddr(addr)
    const id = address.getComponents().findLast((c) => c.name === 'p2p')?.value
    return id === undefined ? undefined : { peer: peerIdFromString(id), address }
  } catch {
    return undefined
  }
}
