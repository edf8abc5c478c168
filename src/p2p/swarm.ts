import { EventEmitter } from 'node:events'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import * as cbor from '@ipld/dag-cbor'
import { bootstrap } from '@libp2p/bootstrap'
import { type GossipSub, gossipsub, TopicValidatorResult } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Connection, Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { type Ping, ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { type FetchProgress, fetchBlobOver, serveBlob } from './blob-protocol.ts'
import type { BlobStore } from './blob-store.ts'
import {
  BLOB_PROTOCOL,
  DIAL_TIMEOUT_MS,
  GOSSIP_MESSAGE_BYTES,
  GOSSIP_TOPIC,
  PING_INTERVAL_MS,
  SYNC_INTERVAL_MS,
  SYNC_PROTOCOL,
  YAMUX_FRAME_BYTES,
  YAMUX_INITIAL_WINDOW_BYTES,
  YAMUX_MAX_WINDOW_BYTES,
} from './constants.ts'
import { P2PError, reasonOf } from './errors.ts'
import type { IngestResult, ReplicatedFeed } from './feed.ts'
import { encodeInvite } from './invite.ts'
import { answerQuery, askOver, type QueryHandler } from './query.ts'
import { swarmKeyFile } from './swarm-key.ts'
import { runSync, type SyncOutcome } from './sync.ts'

export interface SwarmInit {
  privateKey: PrivateKey
  /** The raw 32-byte swarm secret (what an invite carries). */
  swarmKey: Uint8Array
  listen: string[]
  /** Multiaddrs with /p2p/<id> of members to dial at start and keep connected. */
  bootstrap: string[]
  /** Multicast on every interface: never on a host in tests, only inside a network namespace. */
  mdns: boolean
  feed: ReplicatedFeed
  blobs: BlobStore
  syncIntervalMs?: number
  /** The founder's peer id(s), carried in invites: whose grants count. */
  genesis?: string[]
  pingIntervalMs?: number
  readTimeoutMs?: number
}

export interface PeerInfo {
  id: string
  addresses: string[]
  /** Round trip of the last ping in ms; undefined until one came back. */
  latencyMs?: number
}

export interface SwarmEvents {
  'peer:joined': [PeerInfo]
  'peer:left': [{ id: string }]
  'entries:received': [{ from: string; via: 'gossip' | 'sync'; accepted: number }]
  'peer:misbehaved': [{ id: string; reason: string }]
  'sync:done': [{ peer: string } & SyncOutcome]
  log: [string]
}

type Services = { identify: unknown; ping: Ping; pubsub: GossipSub }

export async function createSwarm(init: SwarmInit): Promise<Swarm> {
  const swarm = new Swarm(init)
  await swarm.start()
  return swarm
}

/**
 * A libp2p node in a private network carrying the ledger: new entries are gossiped at once,
 * clocks are compared on connect and periodically (/farm/sync/1), and blobs are fetched by
 * hash (/farm/blob/1). It knows nothing of what entries mean.
 */
export class Swarm extends EventEmitter<SwarmEvents> {
  readonly peerId: PeerId
  private readonly init: SwarmInit
  private node: Libp2p<Services> | undefined
  private readonly latency = new Map<string, number>()
  private readonly syncs = new Map<string, { running: Promise<void>; again: boolean }>()
  private readonly fetches = new Map<string, Promise<string>>()
  /** Peers that sent invalid entries: refused until this process restarts. */
  private readonly banned = new Set<string>()
  private readonly timers: NodeJS.Timeout[] = []
  private unsubscribeFeed: (() => void) | undefined

  constructor(init: SwarmInit) {
    super()
    this.init = init
    this.peerId = peerIdFromPrivateKey(init.privateKey)
    this.handleSync = this.handleSync.bind(this)
    this.handleBlob = this.handleBlob.bind(this)
    this.validateGossip = this.validateGossip.bind(this)
  }

  get id(): string {
    return this.peerId.toString()
  }

  async start(): Promise<void> {
    const banned = this.banned
    const node = await createLibp2p({
      privateKey: this.init.privateKey,
      addresses: { listen: this.init.listen },
      transports: [tcp()],
      connectionProtector: preSharedKey({ psk: swarmKeyFile(this.init.swarmKey) }),
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
        denyDialPeer: (peer) => banned.has(peer.toString()),
        denyInboundEncryptedConnection: (peer) => banned.has(peer.toString()),
      },
      peerDiscovery: [
        ...(this.init.bootstrap.length > 0 ? [bootstrap({ list: this.init.bootstrap })] : []),
        ...(this.init.mdns ? [mdns()] : []),
      ],
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false, floodPublish: true }),
      },
    })
    this.node = node
    await node.handle(SYNC_PROTOCOL, this.handleSync)
    await node.handle(BLOB_PROTOCOL, this.handleBlob)
    node.services.pubsub.topicValidators.set(GOSSIP_TOPIC, this.validateGossip)
    node.services.pubsub.subscribe(GOSSIP_TOPIC)
    node.services.pubsub.addEventListener('subscription-change', (evt) => {
      if (evt.detail.subscriptions.some((s) => s.topic === GOSSIP_TOPIC && s.subscribe)) {
        this.requestSync(evt.detail.peerId.toString())
      }
    })
    node.addEventListener('peer:connect', (evt) => this.onConnect(evt.detail))
    node.addEventListener('peer:disconnect', (evt) => {
      const id = evt.detail.toString()
      this.latency.delete(id)
      this.emit('peer:left', { id })
    })
    node.addEventListener('peer:discovery', (evt) => {
      if (node.getConnections(evt.detail.id).length > 0 || banned.has(evt.detail.id.toString())) return
      node.dial(evt.detail.id, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).catch((err: Error) => {
        this.emit('log', `could not dial discovered peer ${evt.detail.id}: ${err.message}`)
      })
    })
    this.unsubscribeFeed = this.init.feed.onEntries((_entries, encoded, origin) => {
      if (origin === 'local') this.publish(encoded)
    })
    this.timers.push(
      setInterval(() => {
        for (const peer of this.connectedIds()) this.requestSync(peer)
      }, this.init.syncIntervalMs ?? SYNC_INTERVAL_MS),
      setInterval(() => {
        for (const peer of this.connectedIds()) void this.ping(peer)
      }, this.init.pingIntervalMs ?? PING_INTERVAL_MS),
    )
    for (const timer of this.timers) timer.unref()
    await Promise.all(
      this.init.bootstrap.map((addr) =>
        this.connect(addr).catch((err: Error) => this.emit('log', err.message)),
      ),
    )
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer)
    this.unsubscribeFeed?.()
    await this.node?.stop()
  }

  /** The multiaddrs (with /p2p/<id>) this node can be reached on. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map((ma) => ma.toString())
  }

  async connect(addr: string): Promise<string> {
    try {
      const conn = await this.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      return conn.remotePeer.toString()
    } catch (err) {
      throw P2PError.DIAL_FAILED(addr, reasonOf(err))
    }
  }

  peers(): PeerInfo[] {
    const byPeer = new Map<string, PeerInfo>()
    for (const conn of this.libp2p.getConnections()) {
      const id = conn.remotePeer.toString()
      const info = byPeer.get(id) ?? { id, addresses: [], latencyMs: this.latency.get(id) }
      info.addresses.push(conn.remoteAddr.toString())
      byPeer.set(id, info)
    }
    return [...byPeer.values()].sort((a, b) => a.id.localeCompare(b.id))
  }

  /** How many connected peers subscribe to the entries topic, i.e. will get this node's gossip. */
  gossipPeers(): number {
    return this.libp2p.services.pubsub.getSubscribers(GOSSIP_TOPIC).length
  }

  /** An invite to this swarm: the secret plus this node's and its connected members' listen addresses. */
  async invite(): Promise<string> {
    const addresses = [...this.addresses(), ...(await this.memberAddresses())]
    return encodeInvite({
      secret: this.init.swarmKey,
      addresses: [...new Set(addresses)].slice(0, 16),
      genesis: this.init.genesis ?? [],
    })
  }

  /** The listen addresses (with /p2p/<id>) connected members announced, to find them again after a restart. */
  async memberAddresses(): Promise<string[]> {
    const addresses: string[] = []
    for (const peer of this.libp2p.getPeers()) {
      const known = await this.libp2p.peerStore.get(peer).catch(() => undefined)
      for (const { multiaddr: ma } of known?.addresses ?? [])
        addresses.push(`${ma.toString()}/p2p/${peer.toString()}`)
    }
    return addresses
  }

  /** Runs one sync with `peer` now and returns what it exchanged; undefined when it could not run. */
  syncWith(peer: string): Promise<SyncOutcome | undefined> {
    return this.syncOnce(peer)
  }

  /**
   * Fetches a blob into the store and returns its path: from `from` if given, else from each
   * connected peer in turn until one has it. An interrupted transfer resumes on the next call.
   */
  async fetchBlob(
    hash: string,
    opts: { from?: string; signal?: AbortSignal; onProgress?: (p: FetchProgress) => void } = {},
  ): Promise<string> {
    if (await this.init.blobs.has(hash)) return this.init.blobs.path(hash)
    const running = this.fetches.get(hash)
    if (running !== undefined) return running
    const fetching = this.fetchFromPeers(hash, opts).finally(() => this.fetches.delete(hash))
    this.fetches.set(hash, fetching)
    return fetching
  }

  private async fetchFromPeers(
    hash: string,
    opts: { from?: string; signal?: AbortSignal; onProgress?: (p: FetchProgress) => void },
  ): Promise<string> {
    const candidates = opts.from !== undefined ? [opts.from] : this.connectedIds()
    let lastError: unknown = P2PError.BLOB_NOT_FOUND(hash, 'on any connected peer (none are connected)')
    for (const peer of candidates) {
      opts.signal?.throwIfAborted()
      const stream = await this.libp2p.dialProtocol(peerIdFromString(peer), BLOB_PROTOCOL, {
        signal: opts.signal,
      })
      const onAbort = () => stream.abort(new Error('blob fetch aborted'))
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      try {
        return await fetchBlobOver(stream, this.init.blobs, hash, {
          peer,
          readTimeoutMs: this.init.readTimeoutMs,
          onProgress: opts.onProgress,
        })
      } catch (err) {
        if (!P2PError.is(err, 'BLOB_NOT_FOUND')) throw err
        lastError = err
      } finally {
        opts.signal?.removeEventListener('abort', onAbort)
      }
    }
    throw candidates.length > 1
      ? P2PError.BLOB_NOT_FOUND(hash, `on any of ${candidates.length} connected peers`)
      : lastError
  }

  /** Answers a query protocol of a part above p2p (one CBOR request, one answer) until stopped. */
  async answer(protocol: string, handler: QueryHandler): Promise<void> {
    await this.libp2p.handle(protocol, async (stream, connection) => {
      const peer = connection.remotePeer.toString()
      await answerQuery(stream, handler, { peer, readTimeoutMs: this.init.readTimeoutMs }).catch(
        (err: Error) => this.emit('log', `answering ${protocol} to ${peer} failed: ${err.message}`),
      )
    })
  }

  /** Asks `peer` one query of a protocol registered there with `answer`. */
  async ask(
    peer: string,
    protocol: string,
    request: unknown,
    opts: { signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const stream = await this.libp2p.dialProtocol(peerIdFromString(peer), protocol, {
      signal: opts.signal ?? AbortSignal.timeout(DIAL_TIMEOUT_MS),
    })
    return askOver(stream, request, { peer, readTimeoutMs: this.init.readTimeoutMs })
  }

  private get libp2p(): Libp2p<Services> {
    if (this.node === undefined) throw new Error('the swarm is not started')
    return this.node
  }

  private connectedIds(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString())
  }

  private onConnect(peer: PeerId): void {
    const id = peer.toString()
    const addresses = this.libp2p.getConnections(peer).map((c) => c.remoteAddr.toString())
    this.emit('peer:joined', { id, addresses })
    void this.ping(id)
  }

  private async ping(peer: string): Promise<void> {
    try {
      const ms = await this.libp2p.services.ping.ping(peerIdFromString(peer), {
        signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
      })
      this.latency.set(peer, ms)
    } catch {
      this.latency.delete(peer)
    }
  }

  /** Gossips entries in messages of at most GOSSIP_MESSAGE_BYTES, far below gossipsub's limit. */
  private publish(encoded: Uint8Array[]): void {
    let start = 0
    while (start < encoded.length) {
      let end = start
      let bytes = 0
      while (
        end < encoded.length &&
        (end === start || bytes + encoded[end]!.length <= GOSSIP_MESSAGE_BYTES)
      ) {
        bytes += encoded[end]!.length
        end++
      }
      const batch = encoded.slice(start, end)
      this.libp2p.services.pubsub.publish(GOSSIP_TOPIC, cbor.encode(batch)).catch((err: Error) => {
        this.emit(
          'log',
          `gossip of ${batch.length} entries failed: ${err.message}; peers will get them by sync`,
        )
      })
      start = end
    }
  }

  /**
   * Gossip is applied inside the topic validator so that gossipsub forwards only entries this
   * node accepted: an honest relay never passes on a forgery, so the peer that handed one to
   * us is the one at fault.
   */
  private async validateGossip(from: PeerId, message: { data: Uint8Array }): Promise<TopicValidatorResult> {
    const peer = from.toString()
    let encoded: unknown
    try {
      encoded = cbor.decode(message.data)
    } catch {
      this.misbehaved(peer, 'a gossip message that is not CBOR')
      return TopicValidatorResult.Reject
    }
    if (!Array.isArray(encoded) || !encoded.every((e) => e instanceof Uint8Array)) {
      this.misbehaved(peer, 'a gossip message that is not a list of entries')
      return TopicValidatorResult.Reject
    }
    const result = await this.init.feed.ingest(encoded)
    this.reportIngest(peer, 'gossip', result)
    if (result.refused.length > 0) return TopicValidatorResult.Reject
    if (result.held.length > 0) this.requestSync(peer)
    return result.accepted > 0 ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore
  }

  private reportIngest(peer: string, via: 'gossip' | 'sync', result: IngestResult): void {
    if (result.accepted > 0) this.emit('entries:received', { from: peer, via, accepted: result.accepted })
    if (result.refused.length > 0) {
      this.misbehaved(peer, result.refused.map((r) => `${r.code}: ${r.message}`).join('; '))
    }
  }

  private misbehaved(peer: string, reason: string): void {
    if (this.banned.has(peer)) return
    this.banned.add(peer)
    this.emit('peer:misbehaved', { id: peer, reason })
    this.emit('log', `peer ${peer} sent invalid entries (${reason}): disconnected and refused until restart`)
    this.libp2p.hangUp(peerIdFromString(peer)).catch(() => undefined)
  }

  private requestSync(peer: string): void {
    if (this.banned.has(peer) || this.node === undefined) return
    const current = this.syncs.get(peer)
    if (current !== undefined) {
      current.again = true
      return
    }
    const state = { running: Promise.resolve(), again: false }
    state.running = (async () => {
      do {
        state.again = false
        await this.syncOnce(peer)
      } while (state.again && this.node?.status === 'started')
      this.syncs.delete(peer)
    })()
    this.syncs.set(peer, state)
  }

  private async syncOnce(peer: string): Promise<SyncOutcome | undefined> {
    let stream: Stream
    try {
      stream = await this.libp2p.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, {
        signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
      })
    } catch (err) {
      this.emit('log', `could not open a sync with ${peer}: ${(err as Error).message}`)
      return undefined
    }
    return this.runSyncStream(stream, peer)
  }

  private async handleSync(stream: Stream, connection: Connection): Promise<void> {
    await this.runSyncStream(stream, connection.remotePeer.toString())
  }

  private async runSyncStream(stream: Stream, peer: string): Promise<SyncOutcome | undefined> {
    try {
      const outcome = await runSync(stream, this.init.feed, {
        peer,
        members: await this.memberAddresses(),
        readTimeoutMs: this.init.readTimeoutMs,
        onIngested: (result) => {
          if (result.accepted > 0)
            this.emit('entries:received', { from: peer, via: 'sync', accepted: result.accepted })
        },
      })
      this.emit('sync:done', { peer, ...outcome })
      this.meet(outcome.theirMembers)
      return outcome
    } catch (err) {
      if (P2PError.is(err, 'PEER_MISBEHAVED')) this.misbehaved(peer, err.message)
      else if (this.node?.status === 'started')
        this.emit('log', `sync with ${peer} failed: ${(err as Error).message}`)
    }
  }

  /** Dials the members another peer is connected to and this node is not: small swarms stay a full mesh. */
  private meet(addresses: string[]): void {
    for (const addr of addresses) {
      const id = addr.slice(addr.lastIndexOf('/p2p/') + 5)
      if (id === this.id || this.banned.has(id) || this.connectedIds().includes(id)) continue
      let target: ReturnType<typeof multiaddr>
      try {
        target = multiaddr(addr)
      } catch {
        continue
      }
      this.libp2p.dial(target, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).catch(() => undefined)
    }
  }

  private async handleBlob(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    await serveBlob(stream, this.init.blobs, { peer, readTimeoutMs: this.init.readTimeoutMs }).catch(
      (err: Error) => {
        this.emit('log', `serving a blob to ${peer} failed: ${err.message}`)
      },
    )
  }
}
