import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import {
  type GossipSub,
  gossipsub,
  type SubscriptionChangeData,
  type TopicValidatorFn,
} from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
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
} from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { YAMUX_FRAME_BYTES, YAMUX_INITIAL_WINDOW_BYTES, YAMUX_MAX_WINDOW_BYTES } from './constants.ts'
import { nativePreSharedKey } from './pnet-native.ts'

/** What the swarm reads of a connection. */
export type SwarmConnection = Pick<Connection, 'remotePeer' | 'remoteAddr'>

export type SwarmStreamHandler = (stream: Stream, connection: SwarmConnection) => void | Promise<void>

type SwarmNodeEvent = 'peer:connect' | 'peer:disconnect' | 'peer:discovery'

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
  dialProtocol(peer: PeerId, protocol: string, options?: AbortOptions): Promise<Stream>
  hangUp(peer: PeerId): Promise<void>
  handle(protocol: string, handler: SwarmStreamHandler): Promise<void>
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
  /**
   * The private network's protector, by default nativePreSharedKey(swarmKey). Tests and the swarm
   * bench pass @libp2p/pnet's own to stand for a node of an older farm.
   */
  connectionProtector?: () => ConnectionProtector
}

export type FarmServices = { identify: unknown; ping: Ping; pubsub: GossipSub }

/**
 * The farm's libp2p node, not started: TCP in a private network (pnet pre-shared key, then
 * Noise), yamux with windows sized for blob transfers, a gater for refused peers, bootstrap and
 * (optionally) mDNS discovery, identify, ping and gossipsub. The swarm starts it once its
 * handlers are in place, so no early stream finds a protocol missing.
 */
export async function createFarmLibp2p(init: FarmLibp2pInit): Promise<Libp2p<FarmServices>> {
  return createLibp2p({
    start: false,
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: [tcp()],
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
    },
    peerDiscovery: [
      ...(init.bootstrap.length > 0 ? [bootstrap({ list: init.bootstrap })] : []),
      ...(init.mdns ? [mdns()] : []),
    ],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false, floodPublish: true }),
    },
  })
}
