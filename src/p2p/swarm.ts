import { EventEmitter } from 'node:events'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Connection, PeerInfo as DiscoveredPeer, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { Gate, type GateInit, type MembershipView } from './admission.ts'
import { fetchFromEach } from './blob-fetch.ts'
import { type FetchProgress, fetchBlobOver, serveBlob } from './blob-protocol.ts'
import type { BlobStore } from './blob-store.ts'
import {
  BLOB_PROTOCOL,
  DIAL_TIMEOUT_MS,
  GOSSIP_TOPIC,
  PING_INTERVAL_MS,
  SYNC_INTERVAL_MS,
  SYNC_PROTOCOL,
} from './constants.ts'
import { P2PError, reasonOf } from './errors.ts'
import type { IngestResult, ReplicatedFeed } from './feed.ts'
import type { SignedGenesis } from './genesis.ts'
import { decodeGossip, encodeGossip, gossipMessages } from './gossip.ts'
import { encodeInvite, issueToken, MAX_INVITE_ADDRESSES } from './invite.ts'
import {
  createFarmLibp2p,
  type FarmLibp2pInit,
  type SwarmConnection,
  type SwarmLibp2p,
} from './libp2p-node.ts'
import {
  FLOOD_COOLDOWN_MS,
  MEET_DIAL_BURST,
  MEET_DIALS_PER_MINUTE,
  PeerMeters,
  TokenBucket,
} from './limits.ts'
import { Members } from './members.ts'
import type { NatStatus } from './nat/nat-service.ts'
import { natNews } from './nat/news.ts'
import { fetchOrder, Paths } from './nat/paths.ts'
import { bestFirst, inviteOrder, type PeerPath, relayOf } from './nat/reach.ts'
import { answerQuery, askOver, type QueryHandler } from './query.ts'
import { runSync, type SyncOutcome } from './sync.ts'

/** Offered addresses of peers not known as members yet, kept to meet them once they are. */
const MAX_UNMET = 64

/**
 * `bootstrap` names the members to dial at start and keep connected (multiaddrs with
 * /p2p/<id>): they are tagged keep-alive, and dialled again while this node is alone.
 */
export interface SwarmInit extends Omit<FarmLibp2pInit, 'refuses'> {
  feed: ReplicatedFeed
  blobs: BlobStore
  syncIntervalMs?: number
  /** The swarm's signed genesis, carried in the invites this node issues. */
  genesis?: SignedGenesis
  /** Who is a member (admission.ts); without it every peer is one. */
  membership?: MembershipView
  /** The strangers' admission window (limits.ts gives the defaults; tests make it short). */
  strangers?: Pick<GateInit, 'windowMs' | 'retryMs' | 'maxStrangers'>
  pingIntervalMs?: number
  readTimeoutMs?: number
}

/** What the swarm is given instead of building it, as js-libp2p services are given theirs. */
export interface SwarmComponents {
  libp2p: SwarmLibp2p
}

export interface PeerInfo {
  id: string
  addresses: string[]
  /** Round trip of the last ping in ms; undefined until one came back. */
  latencyMs?: number
  /** How this node reaches the peer now: its best connection's path. */
  path: PeerPath
  /** The relay's peer id, when the path is `relayed`. */
  relay?: string
}

export type SwarmLogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface SwarmEvents {
  'peer:joined': [PeerInfo]
  'peer:left': [{ id: string }]
  'entries:received': [{ from: string; via: 'gossip' | 'sync'; accepted: number }]
  'peer:misbehaved': [{ id: string; reason: string }]
  'sync:done': [{ peer: string } & SyncOutcome]
  /** Failures are `warn`, routine news `debug` or `info`. */
  log: [{ level: SwarmLogLevel; message: string }]
}

type FetchOptions = { from?: string; signal?: AbortSignal; onProgress?: (p: FetchProgress) => void }

/** Every stream may run on a relayed connection: the relay's limits are sized for a member's traffic. */
const ANY_CONNECTION = { runOnLimitedConnection: true }

/** Builds the real libp2p node (createFarmLibp2p) and starts a swarm on it. */
export async function createSwarm(init: SwarmInit): Promise<Swarm> {
  const swarm = new Swarm(init)
  await swarm.start()
  return swarm
}

/**
 * A libp2p node in a private network carrying the ledger: new entries are gossiped at once,
 * clocks are compared on connect and periodically (/farm/sync/1), and blobs are fetched by
 * hash (/farm/blob/1). It keeps its members connected (Members: keep-alive tags, and rounds of
 * redials while it is alone), so no caller runs a redial loop. It knows nothing of what entries
 * mean.
 *
 * Given `components`, it runs on that node (a stub in tests); without, `start` builds the real one.
 */
export class Swarm extends EventEmitter<SwarmEvents> {
  readonly peerId: PeerId
  private readonly init: SwarmInit
  private node: SwarmLibp2p | undefined
  private readonly latency = new Map<string, number>()
  private readonly syncs = new Map<string, { running: Promise<void>; again: boolean }>()
  private readonly fetches = new Map<string, Promise<string>>()
  /** Peers that sent invalid entries: refused until this process restarts. */
  private readonly banned = new Set<string>()
  private readonly members: Members
  private readonly paths = new Paths()
  /** When each peer's first relayed connection opened: how long hole punching took. */
  private readonly relayedSince = new Map<string, number>()
  private nat: NatStatus | undefined
  private readonly gate: Gate
  /** What each peer spends of the flood bounds (limits.ts). */
  private readonly meters = new PeerMeters()
  private readonly meetDials = new TokenBucket(MEET_DIALS_PER_MINUTE, MEET_DIAL_BURST)
  /** Addresses peers offered of peers not (yet) members here, by peer id. */
  private readonly unmet = new Map<string, string>()
  /** Peers with a sync session they opened running here: one at a time each. */
  private readonly inboundSyncs = new Set<string>()
  private readonly timers: NodeJS.Timeout[] = []
  private unsubscribeFeed: (() => void) | undefined
  private unsubscribeMembership: (() => void) | undefined

  constructor(init: SwarmInit, components?: SwarmComponents) {
    super()
    this.init = init
    this.node = components?.libp2p
    this.peerId = peerIdFromPrivateKey(init.privateKey)
    this.handleSync = this.handleSync.bind(this)
    this.handleBlob = this.handleBlob.bind(this)
    this.validateGossip = this.validateGossip.bind(this)
    this.members = new Members({
      libp2p: () => this.libp2p,
      self: this.id,
      refuses: (peer) => this.refuses(peer),
      log: (level, message) => this.log(level, message),
    })
    this.gate = new Gate({
      ...init.strangers,
      view: init.membership,
      self: this.id,
      drop: (peer, reason) => this.drop(peer, reason, 'info'),
    })
  }

  get id(): string {
    return this.peerId.toString()
  }

  async start(): Promise<void> {
    const node: SwarmLibp2p =
      this.node ?? (await createFarmLibp2p({ ...this.init, refuses: (peer) => this.refuses(peer) }))
    this.node = node
    await node.handle(SYNC_PROTOCOL, this.handleSync, ANY_CONNECTION)
    await node.handle(BLOB_PROTOCOL, this.handleBlob, ANY_CONNECTION)
    node.addEventListener('connection:open', (evt) => this.onConnection(evt.detail))
    node.services.nat?.on('change', (status) => this.onNat(status))
    node.addEventListener('peer:connect', (evt) => this.onConnect(evt.detail))
    node.addEventListener('peer:disconnect', (evt) => this.onDisconnect(evt.detail))
    node.addEventListener('peer:discovery', (evt) => this.onDiscovery(evt.detail))
    if (node.status !== 'started') await node.start()
    const pubsub = node.services.pubsub
    pubsub.topicValidators.set(GOSSIP_TOPIC, this.validateGossip)
    pubsub.subscribe(GOSSIP_TOPIC)
    pubsub.addEventListener('subscription-change', (evt) => {
      if (evt.detail.subscriptions.some((s) => s.topic === GOSSIP_TOPIC && s.subscribe)) {
        this.requestSync(evt.detail.peerId.toString())
      }
    })
    this.unsubscribeFeed = this.init.feed.onEntries((_entries, encoded, origin) => {
      if (origin === 'local') this.publish(encoded)
    })
    this.unsubscribeMembership = this.init.membership?.onChange(() => this.membershipChanged())
    this.timers.push(
      setInterval(() => {
        for (const peer of this.connectedIds()) this.requestSync(peer)
      }, this.init.syncIntervalMs ?? SYNC_INTERVAL_MS),
      setInterval(() => {
        for (const peer of this.connectedIds()) void this.ping(peer)
      }, this.init.pingIntervalMs ?? PING_INTERVAL_MS),
    )
    for (const timer of this.timers) timer.unref()
    await this.members.remember(this.init.bootstrap)
    await Promise.all(
      this.init.bootstrap.map((addr) =>
        this.connect(addr).catch((err: Error) => this.log('warn', err.message)),
      ),
    )
    this.members.maybeRedial()
  }

  async stop(): Promise<void> {
    this.members.stop()
    this.gate.stop()
    for (const timer of this.timers.splice(0)) clearInterval(timer)
    this.unsubscribeFeed?.()
    this.unsubscribeMembership?.()
    await this.node?.stop()
  }

  /**
   * The multiaddrs (with /p2p/<id>) this node can be reached on, public ones first (bestFirst):
   * those libp2p confirms (and announces), then the listen addresses it has not confirmed yet.
   */
  addresses(): string[] {
    const confirmed = this.libp2p.getMultiaddrs().map((ma) => ma.toString())
    return bestFirst([...confirmed, ...(this.libp2p.services.nat?.listenAddresses() ?? [])])
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
    const byPeer = new Map<string, SwarmConnection[]>()
    for (const conn of this.libp2p.getConnections()) {
      const id = conn.remotePeer.toString()
      byPeer.set(id, [...(byPeer.get(id) ?? []), conn])
    }
    return [...byPeer.entries()]
      .map(([id, conns]) => this.peerInfo(id, conns))
      .sort((a, b) => a.id.localeCompare(b.id))
  }

  private peerInfo(id: string, conns: SwarmConnection[]): PeerInfo {
    const best = this.paths.best(conns)
    const path = best === undefined ? 'direct' : this.paths.pathOf(best)
    const relay = path === 'relayed' && best !== undefined ? relayOf(best.remoteAddr) : undefined
    return {
      id,
      addresses: conns.map((c) => c.remoteAddr.toString()),
      latencyMs: this.latency.get(id),
      path,
      ...(relay !== undefined ? { relay } : {}),
    }
  }

  /**
   * The first connected peer: at once if one is, else when one joins. Undefined when `signal`
   * ends the wait first (e.g. `AbortSignal.timeout(5000)` to wait at most 5 s).
   */
  async waitForPeer(opts: { signal?: AbortSignal } = {}): Promise<PeerInfo | undefined> {
    const connected = this.peers()[0]
    if (connected !== undefined || opts.signal?.aborted) return connected
    return new Promise((resolve) => {
      const done = (peer: PeerInfo | undefined) => {
        this.off('peer:joined', done)
        opts.signal?.removeEventListener('abort', onAbort)
        resolve(peer)
      }
      const onAbort = () => done(undefined)
      this.on('peer:joined', done)
      opts.signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Whether this node refuses `peer`: it sent invalid entries, it was removed from the swarm, it
   * flooded, or it is a stranger past its admission window (admission.ts). A refused peer is
   * never dialled and its connections are closed by the gater.
   */
  refuses(peer: string): boolean {
    return this.banned.has(peer) || this.gate.refuses(peer)
  }

  /** How many connected peers subscribe to the entries topic, i.e. will get this node's gossip. */
  gossipPeers(): number {
    return this.libp2p.services.pubsub.getSubscribers(GOSSIP_TOPIC).length
  }

  /**
   * An invite to this swarm, signed by this node: valid until `expires` (ms since the epoch) for
   * `uses` nodes, naming this node's and its connected members' addresses, public ones first, and
   * a member's relayed addresses where it has no public one (inviteOrder).
   */
  async invite(opts: { expires: number; uses: number }): Promise<string> {
    if (this.init.genesis === undefined) throw P2PError.NO_GENESIS()
    const addresses = [...this.addresses(), ...(await this.memberAddresses())]
    return encodeInvite({
      genesis: this.init.genesis,
      token: await issueToken(this.init.privateKey, this.init.genesis, opts),
      addresses: inviteOrder(addresses).slice(0, MAX_INVITE_ADDRESSES),
    })
  }

  /** The listen addresses (with /p2p/<id>) connected members announced, to find them again after a restart. */
  async memberAddresses(): Promise<string[]> {
    const addresses: string[] = []
    for (const peer of this.libp2p.getPeers()) {
      if (!this.gate.keeps(peer.toString())) continue
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
   * connected peer in turn until one gives it (fetchFromEach), peers with a direct connection
   * first; when only a relay reaches `from`, the directly connected peers are asked before it
   * (fetchOrder). An interrupted transfer resumes on the next call.
   */
  async fetchBlob(hash: string, opts: FetchOptions = {}): Promise<string> {
    if (await this.init.blobs.has(hash)) return this.init.blobs.path(hash)
    const running = this.fetches.get(hash)
    if (running !== undefined) return running
    const connected = this.libp2p
      .getPeers()
      .map((peer) => this.peerInfo(peer.toString(), this.libp2p.getConnections(peer)))
    const candidates = fetchOrder(opts.from, connected)
    const fetching = fetchFromEach(hash, candidates, (peer) => this.fetchFrom(peer, hash, opts), {
      signal: opts.signal,
      onFailure: (peer, err) =>
        this.log('debug', `fetching blob ${hash} from ${peer} failed: ${reasonOf(err)}`),
    }).finally(() => this.fetches.delete(hash))
    this.fetches.set(hash, fetching)
    return fetching
  }

  /** One transfer; says how it went, and at `info` when it had to go through a relay. */
  private async fetchFrom(peer: string, hash: string, opts: FetchOptions): Promise<string> {
    const { stream, connection } = await this.openStream(peer, BLOB_PROTOCOL, opts.signal)
    const onAbort = () => stream.abort(new Error('blob fetch aborted'))
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    const started = Date.now()
    let bytes = 0
    try {
      const path = await fetchBlobOver(stream, this.init.blobs, hash, {
        peer,
        readTimeoutMs: this.init.readTimeoutMs,
        onProgress: (p) => {
          bytes = p.received
          opts.onProgress?.(p)
        },
      })
      this.logTransfer(hash, peer, connection, bytes, Date.now() - started)
      return path
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  private logTransfer(hash: string, peer: string, via: SwarmConnection, bytes: number, ms: number): void {
    const rate = `${(bytes / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s, ${(bytes / 1e3 / Math.max(ms, 1)).toFixed(1)} MB/s`
    const relay = relayOf(via.remoteAddr)
    if (relay === undefined) this.log('debug', `fetched blob ${hash} from ${peer} directly (${rate})`)
    else
      this.log(
        'info',
        `fetched blob ${hash} from ${peer} through relay ${relay} (${rate}): no direct connection to it`,
      )
  }

  /** Answers a query protocol of a part above p2p (one CBOR request, one answer) until stopped. */
  async answer(protocol: string, handler: QueryHandler): Promise<void> {
    await this.libp2p.handle(
      protocol,
      async (stream, connection) => {
        const peer = connection.remotePeer.toString()
        if (!this.admits(stream, peer, protocol)) return
        await answerQuery(stream, handler, { peer, readTimeoutMs: this.init.readTimeoutMs }).catch(
          (err: Error) => this.log('warn', `answering ${protocol} to ${peer} failed: ${err.message}`),
        )
      },
      ANY_CONNECTION,
    )
  }

  /**
   * Asks `peer` one query of a protocol registered there with `answer`: PROTOCOL_UNSUPPORTED when
   * the peer does not answer `protocol`, STREAM_OPEN_FAILED when no stream could be opened.
   */
  async ask(
    peer: string,
    protocol: string,
    request: unknown,
    opts: { signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const { stream } = await this.openStream(peer, protocol, opts.signal)
    return askOver(stream, request, { peer, readTimeoutMs: this.init.readTimeoutMs })
  }

  /**
   * A stream of `protocol` to `peer` within DIAL_TIMEOUT_MS, on its best connection (a direct one
   * before a relayed one), dialling it if it has none: PROTOCOL_UNSUPPORTED when the peer does not
   * answer `protocol`, STREAM_OPEN_FAILED when no stream could be opened. libp2p's own
   * `dialProtocol` never reuses a relayed connection (it dials a new one for every stream).
   */
  private async openStream(
    peer: string,
    protocol: string,
    signal?: AbortSignal,
  ): Promise<{ stream: Stream; connection: SwarmConnection }> {
    const timeout = AbortSignal.timeout(DIAL_TIMEOUT_MS)
    const bounded = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    try {
      const id = peerIdFromString(peer)
      const connection =
        this.paths.best(this.libp2p.getConnections(id)) ?? (await this.libp2p.dial(id, { signal: bounded }))
      const stream = await connection.newStream(protocol, { signal: bounded, ...ANY_CONNECTION })
      return { stream, connection }
    } catch (err) {
      signal?.throwIfAborted()
      // libp2p names the failure by the error's name: the peer listed no handler for the protocol.
      if ((err as Error).name === 'UnsupportedProtocolError')
        throw P2PError.PROTOCOL_UNSUPPORTED(peer, protocol)
      throw P2PError.STREAM_OPEN_FAILED(peer, protocol, reasonOf(err))
    }
  }

  private get libp2p(): SwarmLibp2p {
    if (this.node === undefined) throw P2PError.NOT_STARTED()
    return this.node
  }

  private connectedIds(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString())
  }

  private log(level: SwarmLogLevel, message: string): void {
    this.emit('log', { level, message })
  }

  private onConnect(peer: PeerId): void {
    const id = peer.toString()
    this.gate.connected(id)
    this.emit('peer:joined', this.peerInfo(id, this.libp2p.getConnections(peer)))
    if (this.gate.keeps(id)) this.members.joined(peer)
    void this.ping(id)
  }

  /** Says when a peer is reached through a relay, and when hole punching made that direct. */
  private onConnection(conn: Connection): void {
    const id = conn.remotePeer.toString()
    const relay = relayOf(conn.remoteAddr)
    if (relay !== undefined) {
      if (!this.relayedSince.has(id)) this.relayedSince.set(id, Date.now())
      this.log('info', `peer ${id} is reached through relay ${relay}: no direct connection yet`)
      return
    }
    if (!this.paths.opened(conn, this.libp2p.getConnections(conn.remotePeer))) return
    const since = this.relayedSince.get(id)
    const after =
      since === undefined ? '' : ` ${((Date.now() - since) / 1000).toFixed(1)} s after the relayed one opened`
    this.log('info', `peer ${id} is reached directly now: hole punching (DCUtR) replaced the relay${after}`)
  }

  private onNat(status: NatStatus): void {
    for (const line of natNews(this.nat, status, this.id)) this.log('info', line)
    this.nat = status
  }

  private onDisconnect(peer: PeerId): void {
    const id = peer.toString()
    this.gate.disconnected(id)
    this.inboundSyncs.delete(id)
    this.latency.delete(id)
    this.relayedSince.delete(id)
    this.emit('peer:left', { id })
    this.members.maybeRedial()
  }

  private onDiscovery(peer: DiscoveredPeer): void {
    const id = peer.id.toString()
    if (this.libp2p.getConnections(peer.id).length > 0 || this.refuses(id) || !this.gate.keeps(id)) return
    // Routine behind NAT: a member of another home is first known by its LAN address, which no
    // one outside that LAN can dial; it is met through a relay once one holds a slot for it.
    this.libp2p.dial(peer.id, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).catch((err: Error) => {
      this.log('debug', `could not dial discovered peer ${id}: ${err.message}`)
    })
  }

  /**
   * Pings a peer reached directly; for one reached through a relay it reads the round trip
   * libp2p's connection monitor measured on that connection, since the ping service would dial
   * a new relayed connection for every ping.
   */
  private async ping(peer: string): Promise<void> {
    const best = this.paths.best(this.libp2p.getConnections(peerIdFromString(peer)))
    if (best !== undefined && relayOf(best.remoteAddr) !== undefined) {
      if (best.rtt === undefined) this.latency.delete(peer)
      else this.latency.set(peer, best.rtt)
      return
    }
    try {
      const ms = await this.libp2p.services.ping.ping(peerIdFromString(peer), {
        signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
      })
      this.latency.set(peer, ms)
    } catch {
      this.latency.delete(peer)
    }
  }

  private publish(encoded: Uint8Array[]): void {
    for (const batch of gossipMessages(encoded)) {
      this.libp2p.services.pubsub.publish(GOSSIP_TOPIC, encodeGossip(batch)).catch((err: Error) => {
        this.log(
          'warn',
          `gossip of ${batch.length} entries failed: ${err.message}; peers will get them by sync`,
        )
      })
    }
  }

  /**
   * Gossip is applied inside the topic validator so that gossipsub forwards only entries this
   * node accepted: an honest relay never passes on a forgery, so the peer that handed one to
   * us is the one at fault.
   */
  private async validateGossip(from: PeerId, message: { data: Uint8Array }): Promise<TopicValidatorResult> {
    const peer = from.toString()
    if (!this.gate.mayUse(peer, GOSSIP_TOPIC)) return TopicValidatorResult.Ignore
    const flood = this.meters.spend('gossip', peer, message.data.byteLength)
    if (flood !== undefined) {
      this.flooded(peer, flood)
      return TopicValidatorResult.Ignore
    }
    const gossip = decodeGossip(message.data)
    if ('invalid' in gossip) {
      this.misbehaved(peer, gossip.invalid)
      return TopicValidatorResult.Reject
    }
    const result = await this.init.feed.ingest(gossip.entries)
    this.reportIngest(peer, 'gossip', result)
    if (result.refused.length > 0) return TopicValidatorResult.Reject
    if (result.held.length > 0) this.requestSync(peer)
    return result.accepted > 0 ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore
  }

  private reportIngest(peer: string, via: 'gossip' | 'sync', result: IngestResult): void {
    if (result.accepted > 0) this.emit('entries:received', { from: peer, via, accepted: result.accepted })
    this.reportForks(peer, result)
    if (result.refused.length > 0) {
      this.misbehaved(peer, result.refused.map((r) => `${r.code}: ${r.message}`).join('; '))
    }
    this.meterEntries(result)
  }

  /** A fork is the author's doing, never the relay's: said, and the relay stays connected. */
  private reportForks(peer: string, result: IngestResult): void {
    for (const author of result.forks ?? [])
      this.log(
        'warn',
        `peer ${author} forked its feed (seen in entries from ${peer}): its entries count no more`,
      )
  }

  /**
   * Each author's new entries count against that author, by its own clock, never against the
   * peer that relayed them: an author over its bound is cut off wherever it connects.
   */
  private meterEntries(result: IngestResult): void {
    for (const [author, { entries, ts }] of Object.entries(result.acceptedBy ?? {})) {
      const flood = this.meters.spend('entries', author, entries, ts)
      if (flood !== undefined) this.flooded(author, flood)
    }
  }

  /** Disconnects a flooding peer and refuses it for FLOOD_COOLDOWN_MS. */
  private flooded(peer: string, bound: string): void {
    this.gate.coolOff(peer, FLOOD_COOLDOWN_MS)
    this.drop(peer, `flooded: ${bound}; refused for ${FLOOD_COOLDOWN_MS / 60_000} min`, 'warn')
  }

  /** Disconnects `peer` and stops keeping it as a member, with a line saying why. */
  private drop(peer: string, reason: string, level: SwarmLogLevel): void {
    let id: PeerId
    try {
      id = peerIdFromString(peer)
    } catch {
      return // An author name that is no peer id (a test feed's): no connection to end.
    }
    const connected = this.libp2p.getConnections(id).length > 0
    if (connected) this.log(level, `peer ${peer} disconnected: ${reason}`)
    void this.members.forget(id)
    if (connected) this.libp2p.hangUp(id).catch(() => undefined)
  }

  /** Standings changed: revoked peers go, strangers get their window, new members are kept. */
  private membershipChanged(): void {
    if (this.node?.status !== 'started') return
    const connected = this.connectedIds()
    this.gate.changed(connected)
    for (const peer of connected) if (this.gate.keeps(peer)) void this.members.keep(peerIdFromString(peer))
    this.meet([...this.unmet.values()])
  }

  /** Whether `peer` may open `protocol` here; a stream it may not is aborted at once. */
  private admits(stream: Stream, peer: string, protocol: string): boolean {
    if (this.gate.mayUse(peer, protocol)) return true
    stream.abort(new Error(`${protocol} is not open to peers that are not members`))
    return false
  }

  /** Refuses `peer` until restart: disconnected now, never dialled again, no longer a member. */
  private misbehaved(peer: string, reason: string): void {
    if (this.banned.has(peer)) return
    this.banned.add(peer)
    this.emit('peer:misbehaved', { id: peer, reason })
    const id = peerIdFromString(peer)
    void this.members.forget(id)
    this.libp2p.hangUp(id).catch(() => undefined)
  }

  /**
   * Syncs with `peer` soon (coalescing requests). Not while this node is a stranger itself: a
   * joiner syncs once a member admitted it (syncWith), and members refuse it before.
   */
  private requestSync(peer: string): void {
    if (this.banned.has(peer) || this.node === undefined || !this.gate.mayUse(peer, SYNC_PROTOCOL)) return
    if (this.gate.standing(this.id) === 'stranger') return
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
      ;({ stream } = await this.openStream(peer, SYNC_PROTOCOL))
    } catch (err) {
      if (this.node?.status === 'started') this.log('warn', reasonOf(err))
      return undefined
    }
    return this.runSyncStream(stream, peer)
  }

  private async handleSync(stream: Stream, connection: SwarmConnection): Promise<void> {
    const peer = connection.remotePeer.toString()
    if (!this.admits(stream, peer, SYNC_PROTOCOL)) return
    const over = this.meters.spend('sessions', peer)
    if (over !== undefined) {
      stream.abort(new Error(over))
      this.log('debug', `refused a sync session of ${peer}: ${over}`)
      return
    }
    if (this.inboundSyncs.has(peer)) {
      stream.abort(new Error('one sync session at a time'))
      return
    }
    this.inboundSyncs.add(peer)
    try {
      await this.runSyncStream(stream, peer)
    } finally {
      this.inboundSyncs.delete(peer)
    }
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
          this.reportForks(peer, result)
          this.meterEntries(result)
        },
      })
      this.emit('sync:done', { peer, ...outcome })
      this.gate.syncedWith(peer, this.connectedIds())
      this.meet(outcome.theirMembers)
      if (outcome.more) this.requestSync(peer)
      return outcome
    } catch (err) {
      if (P2PError.is(err, 'PEER_MISBEHAVED')) this.misbehaved(peer, err.message)
      else if (this.node?.status === 'started') this.log('warn', `sync with ${peer} failed: ${reasonOf(err)}`)
    }
  }

  /**
   * Dials the members another peer is connected to and this node is not, so small swarms stay a
   * full mesh: only peers this node's ledger knows as members, at most MEET_DIALS_PER_MINUTE.
   */
  private meet(addresses: string[]): void {
    for (const addr of addresses) {
      const id = addr.slice(addr.lastIndexOf('/p2p/') + 5)
      if (id === this.id || this.refuses(id) || this.connectedIds().includes(id)) continue
      if (this.gate.standing(id) === 'stranger') {
        // Perhaps admitted by an entry not here yet: met when it comes (membershipChanged).
        if (this.unmet.size < MAX_UNMET) this.unmet.set(id, addr)
        continue
      }
      if (this.gate.standing(id) !== 'member' || !this.meetDials.take()) continue
      this.unmet.delete(id)
      let target: ReturnType<typeof multiaddr>
      try {
        target = multiaddr(addr)
      } catch {
        continue
      }
      this.libp2p
        .dial(target, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        .catch((err: Error) => this.log('debug', `could not meet member ${addr}: ${err.message}`))
    }
  }

  private async handleBlob(stream: Stream, connection: SwarmConnection): Promise<void> {
    const peer = connection.remotePeer.toString()
    if (!this.admits(stream, peer, BLOB_PROTOCOL)) return
    await serveBlob(stream, this.init.blobs, { peer, readTimeoutMs: this.init.readTimeoutMs }).catch(
      (err: Error) => {
        this.log('warn', `serving a blob to ${peer} failed: ${err.message}`)
      },
    )
  }
}
