import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import {
  type GossipSub,
  gossipsub,
  type SubscriptionChangeData,
  type TopicValidatorFn,
} from '@libp2p/gossipsub'
import { identify, identifyPush } from '@libp2p/identify'
import type {
  AbortOptions,
  Connection,
  ConnectionProtector,
  Libp2p,
  Libp2pEvents,
  Libp2pStatus,
  PeerId,
  PeerStore,
  PrivateKey,
  Stream,
  StreamHandlerOptions,
} from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { YAMUX_FRAME_BYTES, YAMUX_INITIAL_WINDOW_BYTES, YAMUX_MAX_WINDOW_BYTES } from './constants.ts'
import { farmAutoNAT } from './nat/autonat.ts'
import { type FarmNat, farmNat } from './nat/nat-service.ts'
import type { RelayMode } from './nat/reach.ts'
import { nativePreSharedKey } from './pnet-native.ts'

/**
 * What the swarm reads of a connection. It opens its streams on a connection it chose (a direct
 * one before a relayed one), with `newStream`; `rtt` is libp2p's connection monitor's last ping.
 */
export type SwarmConnection = Pick<Connection, 'remotePeer' | 'remoteAddr' | 'newStream'> &
  Partial<Pick<Connection, 'rtt'>>

export type SwarmStreamHandler = (stream: Stream, connection: SwarmConnection) => void | Promise<void>

type SwarmNodeEvent = 'peer:connect' | 'peer:disconnect' | 'peer:discovery' | 'connection:open'

/**
 * The part of a libp2p node the swarm uses, and all it uses: a libp2p v3 node built by
 * createFarmLibp2p is one, and tests hand the swarm a stub of it instead, as js-libp2p's own
 * packages stub their components.
 */
export interface SwarmLibp2p {
  readonly status: Libp2pStatus
  readonly peerStore: Pick<PeerStore, 'get' | 'merge'>
  readonly services: {
    ping: Pick<Ping, 'ping'>
    /** How the node is reached and whether it relays; a stub node has none. */
    nat?: Pick<FarmNat, 'status' | 'listenAddresses' | 'on'>
    pubsub: {
      readonly topicValidators: Map<string, TopicValidatorFn>
      subscribe(topic: string): void
      publish(topic: string, data: Uint8Array): Promise<unknown>
      getSubscribers(topic: string): PeerId[]
      addEventListener(
        type: 'subscription-change',
        listener: (evt: CustomEvent<SubscriptionChangeData>) => void,
      ): void
    }
  }
  start(): void | Promise<void>
  stop(): void | Promise<void>
  getMultiaddrs(): Multiaddr[]
  getConnections(peer?: PeerId): SwarmConnection[]
  getPeers(): PeerId[]
  dial(peer: PeerId | Multiaddr, options?: AbortOptions): Promise<SwarmConnection>
  hangUp(peer: PeerId): Promise<void>
  handle(protocol: string, handler: SwarmStreamHandler, options?: StreamHandlerOptions): Promise<void>
  addEventListener<K extends SwarmNodeEvent>(type: K, listener: (evt: Libp2pEvents[K]) => void): void
}

export interface FarmLibp2pInit {
  privateKey: PrivateKey
  /** The raw 32-byte swarm secret (what an invite carries). */
  swarmKey: Uint8Array
  listen: string[]
  /** Multiaddrs with /p2p/<id> handed to libp2p's bootstrap discovery. */
  bootstrap: string[]
  /** Multicast on every interface: never on a host in tests, only inside a network namespace. */
  mdns: boolean
  /** Peers the swarm refuses (they sent invalid entries): never dialled, inbound closed at once. */
  refuses: (peer: string) => boolean
  /** Whether this node relays for members without a public address (default `auto`). */
  relay?: RelayMode
  /** Ask the router for a port mapping (UPnP IGD): SSDP multicast on the LAN, so never in tests. */
  upnp?: boolean
  /**
   * Addresses this node is reachable at that it cannot see itself (a forwarded port, a cloud load
   * balancer): announced as confirmed, so the node relays in `auto` mode on the user's word.
   */
  announce?: string[]
  /**
   * The private network's protector, by default nativePreSharedKey(swarmKey). Tests and the swarm
   * bench pass @libp2p/pnet's own to stand for a node of an older farm.
   */
  connectionProtector?: () => ConnectionProtector
}

export type FarmServices = {
  identify: unknown
  identifyPush: unknown
  ping: Ping
  pubsub: GossipSub
  nat: FarmNat
}

/**
 * The farm's libp2p node, not started: TCP in a private network (pnet pre-shared key, then
 * Noise), yamux with windows sized for blob transfers, a gater for refused peers, bootstrap and
 * (optionally) mDNS discovery, identify, ping and gossipsub. Beyond one LAN (nat/): AutoNAT
 * learns whether a peer can dial this node back, the farm's NAT service relays for members
 * while that holds, every node listens on `/p2p-circuit` (a slot on some member that relays), and
 * DCUtR tries to turn relayed connections into direct ones; UPnP only when asked. A relayed
 * connection is upgraded like any other, pnet and then Noise end to end, so a relay forwards
 * bytes it cannot read, and only members with the swarm key reach the relay at all. The swarm
 * starts the node once its handlers are in place, so no early stream finds a protocol missing.
 */
export async function createFarmLibp2p(init: FarmLibp2pInit): Promise<Libp2p<FarmServices>> {
  // Loaded only when asked for: the UPnP port mapper and its XML parser added ~8 MB to every idle node.
  const upnp = init.upnp === true ? { upnp: (await import('@libp2p/upnp-nat')).uPnPNAT() } : {}
  // A removed node or a flooder can neither hold a relay slot nor be carried to one. A stranger
  // presenting its invite may: libp2p asks for a slot once, as it connects, before it is admitted,
  // and the gate ends its connection (and so its slot) when its admission window closes.
  const relaysFor = (peer: string) => !init.refuses(peer)
  return createLibp2p({
    start: false,
    privateKey: init.privateKey,
    addresses: { listen: [...init.listen, '/p2p-circuit'], appendAnnounce: init.announce ?? [] },
    transports: [tcp(), circuitRelayTransport()],
    connectionProtector: init.connectionProtector ?? nativePreSharedKey(init.swarmKey),
    connectionEncrypters: [noise()],
    streamMuxers: [
      yamux({
        maxMessageSize: YAMUX_FRAME_BYTES,
        streamOptions: {
          initialStreamWindowSize: YAMUX_INITIAL_WINDOW_BYTES,
          maxStreamWindowSize: YAMUX_MAX_WINDOW_BYTES,
        },
      }),
    ],
    connectionGater: {
      denyDialPeer: (peer) => init.refuses(peer.toString()),
      denyInboundEncryptedConnection: (peer) => init.refuses(peer.toString()),
      denyInboundRelayReservation: (peer) => !relaysFor(peer.toString()),
      denyOutboundRelayedConnection: (source, destination) =>
        !relaysFor(source.toString()) || !relaysFor(destination.toString()),
    },
    peerDiscovery: [
      ...(init.bootstrap.length > 0 ? [bootstrap({ list: init.bootstrap })] : []),
      ...(init.mdns ? [mdns()] : []),
    ],
    services: {
      identify: identify(),
      // Tells connected peers when this node starts or stops relaying, or gains an address.
      identifyPush: identifyPush(),
      ping: ping(),
      // The relay's limits are sized for a member's whole traffic, so gossip runs on relayed connections too.
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        floodPublish: true,
        runOnLimitedConnection: true,
      }),
      autoNAT: farmAutoNAT(),
      dcutr: dcutr(),
      nat: farmNat({ relay: init.relay ?? 'auto' }),
      ...upnp,
    },
  })
}
