import { EventEmitter } from 'node:events'
import {
  type CircuitRelayServerComponents,
  type CircuitRelayService,
  circuitRelayServer,
} from '@libp2p/circuit-relay-v2'
import type { Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { RELAY_DATA_LIMIT_BYTES, RELAY_DURATION_LIMIT_MS, RELAY_MAX_RESERVATIONS } from './constants.ts'
import { isPublicDirect, isRelayed, offersRelay, type RelayMode, relayOf } from './reach.ts'

/** What the service reads of the node: the relay server's components, its listeners and its events. */
export interface FarmNatComponents extends CircuitRelayServerComponents {
  transportManager: { getAddrs(): Multiaddr[] }
  events: {
    addEventListener(type: 'self:peer:update', listener: () => void): void
    removeEventListener(type: 'self:peer:update', listener: () => void): void
  }
}

export interface FarmNatInit {
  relay: RelayMode
}

/** How this node can be reached, and what it does for members that cannot be. */
export interface NatStatus {
  /** Public direct addresses libp2p confirmed (AutoNAT dialled them back, or a UPnP mapping checked so). */
  reachable: string[]
  /** Relays that hold a slot for this node: peers reach it through them. */
  relays: string[]
  /** Whether this node relays for other members now. */
  relaying: boolean
  /** Members holding a relay slot on this node. */
  relayedFor: number
}

/**
 * The farm's NAT service, a libp2p service like AutoNAT beside it: it watches the addresses
 * libp2p confirms and runs a circuit relay server while the relay mode says so (`on`; or `auto`
 * while some public address is confirmed). A relay that is not offered does not speak the hop
 * protocol at all, rather than refusing reservations: libp2p's reservation store asks each relay
 * once, when the protocol appears, so an offer that starts later must appear then. A server is
 * never restarted (its shutdown signal would stay aborted): each offer is a new one.
 */
export class FarmNat extends EventEmitter<{ change: [NatStatus] }> implements Startable {
  private readonly components: FarmNatComponents
  private readonly mode: RelayMode
  private server: (CircuitRelayService & Startable) | undefined
  private last = ''
  private reviewing = Promise.resolve()

  constructor(components: FarmNatComponents, init: FarmNatInit) {
    super()
    this.components = components
    this.mode = init.relay
    this.onUpdate = this.onUpdate.bind(this)
  }

  readonly [Symbol.toStringTag] = '@farm/nat'

  async start(): Promise<void> {
    this.components.events.addEventListener('self:peer:update', this.onUpdate)
    await this.review()
  }

  async stop(): Promise<void> {
    this.components.events.removeEventListener('self:peer:update', this.onUpdate)
    await this.reviewing
    await this.server?.stop()
    this.server = undefined
  }

  status(): NatStatus {
    const confirmed = this.components.addressManager.getAddresses()
    return {
      reachable: confirmed.filter((a) => isPublicDirect(a)).map(String),
      relays: [...new Set(confirmed.map((a) => relayOf(a)).filter((r) => r !== undefined))],
      relaying: this.server !== undefined,
      relayedFor: this.server?.reservations.size ?? 0,
    }
  }

  /**
   * Every address a transport listens on (with this node's /p2p/<id>), also public ones AutoNAT
   * has not confirmed yet: libp2p announces only confirmed ones, but a joiner given an invite
   * dials whatever it holds, and a member just started has had no peer to confirm anything.
   */
  listenAddresses(): string[] {
    const self = this.components.peerId.toString()
    return this.components.transportManager
      .getAddrs()
      .filter((a) => !isRelayed(a))
      .map((a) => `${a.toString()}/p2p/${self}`)
  }

  /** Reviews run one at a time, so two quick address changes never start two servers. */
  private onUpdate(): void {
    this.reviewing = this.reviewing.then(() => this.review()).catch(() => undefined)
  }

  private async review(): Promise<void> {
    const offer = offersRelay(this.mode, this.components.addressManager.getAddresses())
    if (offer && this.server === undefined) {
      const server = circuitRelayServer({
        reservations: {
          maxReservations: RELAY_MAX_RESERVATIONS,
          defaultDataLimit: BigInt(RELAY_DATA_LIMIT_BYTES),
          defaultDurationLimit: RELAY_DURATION_LIMIT_MS,
        },
      })(this.components) as CircuitRelayService & Startable
      await server.start()
      this.server = server
    } else if (!offer && this.server !== undefined) {
      const server = this.server
      this.server = undefined
      await server.stop()
    }
    const status = this.status()
    const text = JSON.stringify({ ...status, relayedFor: undefined })
    if (text !== this.last) {
      this.last = text
      this.emit('change', status)
    }
  }
}

/** The service's factory, as libp2p takes services. */
export function farmNat(init: FarmNatInit): (components: FarmNatComponents) => FarmNat {
  return (components) => new FarmNat(components, init)
}
