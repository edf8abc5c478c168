import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { SubscriptionChangeData, TopicValidatorFn } from '@libp2p/gossipsub'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type {
  AbortOptions,
  Libp2pEvents,
  Libp2pStatus,
  Peer,
  PeerData,
  PeerId,
  PrivateKey,
  Stream,
} from '@libp2p/interface'
import { UnsupportedProtocolError } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import {
  BlobStore,
  type MembershipView,
  type ReplicatedFeed,
  Swarm,
  type SwarmConnection,
  type SwarmInit,
  type SwarmLibp2p,
  type SwarmStreamHandler,
} from '../../src/p2p/index.ts'
import { tempDir } from './farm.ts'
import { MemoryFeed } from './p2p-memory-feed.ts'

/**
 * Nodes of an in-memory network, each a stub of the libp2p node a Swarm is given (SwarmLibp2p),
 * as js-libp2p's own tests stub a service's components: dials reach the other nodes' handlers
 * over in-memory stream pairs, gossip goes straight to the subscribers' topic validators, and
 * nothing touches a socket. A node in `down` cannot be dialled, like a member that is off. Two
 * nodes may also be joined through a third as relay (`relayThrough`), and such a pair upgraded
 * to a direct connection as DCUtR does (`punch`).
 */
export class StubNetwork {
  readonly nodes = new Map<string, StubLibp2p>()
  readonly down = new Set<string>()
  private count = 0

  /** A new node, stopped, as createFarmLibp2p returns one. */
  async node(privateKey?: PrivateKey): Promise<StubLibp2p> {
    const key = privateKey ?? (await generateKeyPair('Ed25519'))
    const node = new StubLibp2p(this, key, ++this.count)
    this.nodes.set(node.peerId.toString(), node)
    return node
  }

  reachable(id: string): StubLibp2p | undefined {
    const node = this.nodes.get(id)
    return node?.status === 'started' && !this.down.has(id) ? node : undefined
  }
}

export class StubLibp2p implements SwarmLibp2p {
  readonly peerId: PeerId
  readonly privateKey: PrivateKey
  status: Libp2pStatus = 'stopped'
  readonly peerStore = new StubPeerStore()
  readonly services: { ping: { ping: () => Promise<number> }; pubsub: StubPubSub }
  /** Every dial this node made, by peer id, in order: what a test of redialling counts. */
  readonly dials: string[] = []
  /** Peer ids whose protocol streams fail to open although connected, as a peer that does not speak it. */
  readonly refuseStreamsTo = new Set<string>()
  /** The connection gater createFarmLibp2p gives libp2p (denyDialPeer, denyInboundEncryptedConnection). */
  denies: (peer: string) => boolean = () => false
  readonly handlers = new Map<string, SwarmStreamHandler>()
  /** Open connections by remote peer id, oldest first. */
  readonly connections = new Map<string, SwarmConnection[]>()
  private readonly net: StubNetwork
  /** Its listen address, without /p2p/<id>, as identify tells it to peers. */
  readonly listenAddress: Multiaddr
  private readonly events = new EventEmitter()

  constructor(net: StubNetwork, privateKey: PrivateKey, n: number) {
    this.net = net
    this.privateKey = privateKey
    this.peerId = peerIdFromPrivateKey(privateKey)
    this.listenAddress = multiaddr(`/memory/node-${n}`)
    this.services = { ping: { ping: async () => 1 }, pubsub: new StubPubSub(this) }
  }

  get id(): string {
    return this.peerId.toString()
  }

  async start(): Promise<void> {
    this.status = 'started'
  }

  async stop(): Promise<void> {
    for (const id of [...this.connections.keys()]) await this.hangUp(peerIdFromString(id))
    this.status = 'stopped'
  }

  getMultiaddrs(): Multiaddr[] {
    return [this.listenAddress.encapsulate(`/p2p/${this.id}`)]
  }

  getConnections(peer?: PeerId): SwarmConnection[] {
    if (peer === undefined) return [...this.connections.values()].flat()
    return [...(this.connections.get(peer.toString()) ?? [])]
  }

  getPeers(): PeerId[] {
    return [...this.connections.values()].map((conns) => conns[0]!.remotePeer)
  }

  async dial(target: PeerId | Multiaddr, options: AbortOptions = {}): Promise<SwarmConnection> {
    options.signal?.throwIfAborted()
    const id =
      'getComponents' in target
        ? target.getComponents().findLast((c) => c.name === 'p2p')?.value
        : target.toString()
    if (id === undefined) throw new Error('the stub network dials peer ids only')
    this.dials.push(id)
    const known = this.connections.get(id)?.[0]
    if (known !== undefined) return known
    const remote = this.net.reachable(id)
    if (remote === undefined || this.status !== 'started') throw new Error(`connection refused by ${id}`)
    if (this.denies(id)) throw new Error(`the gater denies dialling ${id}`)
    if (remote.denies(this.id)) throw new Error(`connection refused by ${id}'s gater`)
    return this.link(remote, remote.listenAddress, this.listenAddress)
  }

  /** Connects to `remote` through `relay`'s circuit, as a dial of a `/p2p-circuit` address does. */
  relayThrough(remote: StubLibp2p, relay: StubLibp2p): SwarmConnection {
    const circuit = (node: StubLibp2p) =>
      relay.listenAddress.encapsulate(`/p2p/${relay.id}/p2p-circuit/p2p/${node.id}`)
    return this.link(remote, circuit(remote), circuit(this))
  }

  /** DCUtR's upgrade: a direct connection to `remote` opens, then the relayed ones close. */
  punch(remote: StubLibp2p): SwarmConnection {
    const direct = this.link(remote, remote.listenAddress, this.listenAddress)
    const isDirect = (c: SwarmConnection) => !c.remoteAddr.toString().includes('/p2p-circuit')
    this.connections.set(remote.id, this.getConnections(remote.peerId).filter(isDirect))
    remote.connections.set(this.id, remote.getConnections(this.peerId).filter(isDirect))
    return direct
  }

  async hangUp(peer: PeerId): Promise<void> {
    const id = peer.toString()
    if (!this.connections.delete(id)) return
    const remote = this.net.nodes.get(id)
    remote?.connections.delete(this.id)
    this.dispatch('peer:disconnect', peer)
    remote?.dispatch('peer:disconnect', this.peerId)
  }

  async handle(protocol: string, handler: SwarmStreamHandler): Promise<void> {
    this.handlers.set(protocol, handler)
  }

  addEventListener<K extends 'peer:connect' | 'peer:disconnect' | 'peer:discovery' | 'connection:open'>(
    type: K,
    listener: (evt: Libp2pEvents[K]) => void,
  ): void {
    this.events.on(type, listener)
  }

  /** The node at the other end of a connection to `peer`, if there is one. */
  connectedNode(peer: PeerId): StubLibp2p | undefined {
    return this.connections.has(peer.toString()) ? this.net.nodes.get(peer.toString()) : undefined
  }

  /** A stream of `protocol` to `remote`'s handler, as a connection's newStream opens one. */
  private async openStream(remote: StubLibp2p, protocol: string, options: AbortOptions): Promise<Stream> {
    options.signal?.throwIfAborted()
    const handler = remote.handlers.get(protocol)
    const far = remote.connections.get(this.id)?.[0]
    if (far === undefined || this.refuseStreamsTo.has(remote.id))
      throw new Error(`protocol selection failed: ${remote.id} refused the stream`)
    // What libp2p throws when the remote lists no handler for the protocol.
    if (handler === undefined) throw new UnsupportedProtocolError(`${remote.id} does not speak ${protocol}`)
    const [local, farEnd] = await streamPair()
    void Promise.resolve(handler(farEnd, far)).catch(() => undefined)
    return local
  }

  /** What libp2p's mDNS or bootstrap discovery would announce. */
  discover(peer: StubLibp2p): void {
    this.dispatch('peer:discovery', { id: peer.peerId, multiaddrs: peer.getMultiaddrs() })
  }

  /** Opens a connection both ways (at `theirs` here, `ours` there), with libp2p's events. */
  private link(remote: StubLibp2p, theirs: Multiaddr, ours: Multiaddr): SwarmConnection {
    const first = !this.connections.has(remote.id)
    const conn = this.addConnection(remote, theirs)
    const back = remote.addConnection(this, ours)
    this.dispatch('connection:open', conn)
    remote.dispatch('connection:open', back)
    if (!first) return conn
    this.dispatch('peer:connect', remote.peerId)
    remote.dispatch('peer:connect', this.peerId)
    this.services.pubsub.announceTo(remote)
    remote.services.pubsub.announceTo(this)
    return conn
  }

  private addConnection(remote: StubLibp2p, at: Multiaddr): SwarmConnection {
    const conn: SwarmConnection = {
      remotePeer: remote.peerId,
      remoteAddr: at,
      newStream: (protocols, options = {}) => this.openStream(remote, [protocols].flat()[0]!, options),
    }
    this.connections.set(remote.id, [...(this.connections.get(remote.id) ?? []), conn])
    void this.peerStore.merge(remote.peerId, { multiaddrs: [at] })
    return conn
  }

  private dispatch(type: string, detail: unknown): void {
    this.events.emit(type, new CustomEvent(type, { detail }))
  }
}

/** A peer store in a map: addresses and tags, merged as libp2p merges them. */
export class StubPeerStore {
  readonly peers = new Map<string, Peer>()

  async get(peer: PeerId): Promise<Peer> {
    const known = this.peers.get(peer.toString())
    if (known === undefined) throw new Error(`peer ${peer} not found`)
    return known
  }

  async merge(peer: PeerId, data: PeerData): Promise<Peer> {
    const known: Peer = this.peers.get(peer.toString()) ?? {
      id: peer,
      addresses: [],
      protocols: [],
      metadata: new Map(),
      tags: new Map(),
    }
    for (const given of data.multiaddrs ?? []) {
      // Like libp2p's peer store: the peer's own /p2p/<id> is implied, not stored.
      const ma = given.toString().endsWith(`/p2p/${peer}`) ? given.decapsulate(`/p2p/${peer}`) : given
      if (!known.addresses.some((a) => a.multiaddr.equals(ma)))
        known.addresses.push({ multiaddr: ma, isCertified: false })
    }
    for (const [name, tag] of Object.entries(data.tags ?? {})) {
      if (tag === undefined) known.tags.delete(name)
      else known.tags.set(name, { value: tag.value ?? 0 })
    }
    this.peers.set(peer.toString(), known)
    return known
  }

  tags(peer: string): string[] {
    return [...(this.peers.get(peer)?.tags.keys() ?? [])]
  }
}

/** Gossip of a full mesh: a publish reaches every connected subscriber's validator, once. */
export class StubPubSub {
  readonly topicValidators = new Map<string, TopicValidatorFn>()
  readonly topics = new Set<string>()
  /** What this node's validators answered, per message received. */
  readonly verdicts: TopicValidatorResult[] = []
  private readonly node: StubLibp2p
  private readonly events = new EventEmitter()

  constructor(node: StubLibp2p) {
    this.node = node
  }

  subscribe(topic: string): void {
    this.topics.add(topic)
  }

  getSubscribers(topic: string): PeerId[] {
    return this.node.getPeers().filter((p) => this.remote(p)?.services.pubsub.topics.has(topic))
  }

  async publish(topic: string, data: Uint8Array): Promise<{ recipients: PeerId[] }> {
    const recipients = this.getSubscribers(topic)
    for (const peer of recipients)
      void this.remote(peer)!.services.pubsub.receive(this.node.peerId, topic, data)
    return { recipients }
  }

  /** A message arriving from `from`, as gossipsub hands it to the topic's validator. */
  async receive(from: PeerId, topic: string, data: Uint8Array): Promise<TopicValidatorResult> {
    const validator = this.topicValidators.get(topic)
    const verdict =
      validator === undefined
        ? TopicValidatorResult.Accept
        : await validator(from, { type: 'unsigned', topic, data })
    this.verdicts.push(verdict)
    return verdict
  }

  addEventListener(
    type: 'subscription-change',
    listener: (evt: CustomEvent<SubscriptionChangeData>) => void,
  ): void {
    this.events.on(type, listener)
  }

  /** Tells `remote` the topics this node subscribes to, as gossipsub does when a connection opens. */
  announceTo(remote: StubLibp2p): void {
    if (this.topics.size === 0) return
    const subscriptions = [...this.topics].map((topic) => ({ topic, subscribe: true }))
    remote.services.pubsub.events.emit(
      'subscription-change',
      new CustomEvent('subscription-change', { detail: { peerId: this.node.peerId, subscriptions } }),
    )
  }

  private remote(peer: PeerId): StubLibp2p | undefined {
    return this.node.connectedNode(peer)
  }
}

/** A Swarm on a stub node of `net`, carrying a MemoryFeed (or `makeFeed`'s), its blobs in a temp dir. */
export async function stubSwarm<F extends ReplicatedFeed = MemoryFeed>(
  net: StubNetwork,
  opts: {
    bootstrap?: string[]
    makeFeed?: (author: string) => F
    privateKey?: PrivateKey
    membership?: MembershipView
    strangers?: SwarmInit['strangers']
  } = {},
): Promise<{ swarm: Swarm; libp2p: StubLibp2p; feed: F; blobs: BlobStore }> {
  const libp2p = await net.node(opts.privateKey)
  const feed = opts.makeFeed?.(libp2p.id) ?? (new MemoryFeed(libp2p.id) as unknown as F)
  const blobs = new BlobStore(join(await tempDir('farm-p2p-stub-'), 'blobs'))
  const init: SwarmInit = {
    privateKey: libp2p.privateKey,
    swarmKey: new Uint8Array(32),
    listen: [],
    bootstrap: opts.bootstrap ?? [],
    mdns: false,
    feed,
    blobs,
    syncIntervalMs: 600_000,
    ...(opts.membership ? { membership: opts.membership } : {}),
    ...(opts.strangers ? { strangers: opts.strangers } : {}),
  }
  const swarm = new Swarm(init, { libp2p })
  libp2p.denies = (peer) => swarm.refuses(peer)
  return { swarm, libp2p, feed, blobs }
}
