import { EventEmitter } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import {
  type Clock,
  type Entry,
  type FarmState,
  findJob,
  forkedAt,
  forkedAuthors,
  holdsAll,
  type JobRecord,
  type Ledger,
  openLedger,
  safeStrings,
} from '../ledger/index.ts'
import {
  BlobStore,
  loadOrCreateIdentity,
  type PeerInfo,
  type RelayMode,
  readGenesis,
  readSwarmSecret,
  Swarm,
  swarmSecretOf,
} from '../p2p/index.ts'
import {
  type BlenderDevice,
  detectRenderers,
  type RendererName,
  type RendererPrograms,
} from '../render/index.ts'
import type { Handler, JobSpec, MethodName } from './control/api.ts'
import { registerFarmMethods } from './control/handlers.ts'
import { ControlServer } from './control/socket.ts'
import { swarmFingerprint } from './dashboard/swarm-fingerprint.ts'
import { FarmError } from './errors.ts'
import type { FarmEvent, LogLevel } from './events/events.ts'
import { eventsOfEntries } from './events/ledger-events.ts'
import { type NodeConfig, readConfig, rememberMembers, writeConfig } from './home/config.ts'
import { clearPendingInvite, readPendingInvite } from './home/pending-invite.ts'
import { submitJob } from './jobs/submit.ts'
import { answerAdmissions } from './members/admission.ts'
import { resolveNode } from './members/manage.ts'
import { InvitePresenter } from './members/present.ts'
import { LedgerMembership } from './members/view.ts'
import { SceneCache } from './scene/cache.ts'
import { ownerEnabled } from './schedule/availability.ts'
import { answerChecks, DelegatedChecks } from './work/delegate.ts'
import { OwnerGate, type OwnerLimits } from './work/owner-gate.ts'
import { Stitcher } from './work/stitcher.ts'
import {
  type AcceptPolicy,
  type Activity,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_FRAME_TIME_MS,
  Worker,
} from './work/worker.ts'

export type { FarmEvent }

export interface FarmNodeOptions {
  home: string
  /** Override the config's listen addresses (`farm join --listen`). */
  listen?: string[]
  /** Extra members to dial at start (from an invite), beside the config's. */
  bootstrap?: string[]
  mdns?: boolean
  /** Relay for members without a public address: `auto` (default) while AutoNAT confirms one. */
  relay?: RelayMode
  /** Ask the router for a port mapping with UPnP (`farm join --upnp`). */
  upnp?: boolean
  /** Public addresses to announce that this node cannot see itself (`farm join --announce`). */
  announce?: string[]
  syncIntervalMs?: number
  /** Renderers this node may use (default: every installed one). */
  renderers?: RendererName[]
  /** Other renderer executables (`--blender PATH`, `--povray PATH`) and Cycles' device (`--blender-device`). */
  installs?: { programs?: RendererPrograms; blenderDevice?: BlenderDevice }
  /** Frames rendered at once (default: what `farm render` finds faster for the job's renderer). */
  jobs?: number
  /** Serve the ledger and blobs, stitch its own jobs, but render nothing. */
  noRender?: boolean
  leaseMs?: number
  accept?: AcceptPolicy
  /** WUPM to announce instead of the cached `farm bench` figures. */
  wupm?: number
  /** On stop, how long renders may finish and stitchers fetch before frames are released (`--grace`). */
  graceMs?: number
  /** The longest any frame may render here (`farm join --max-frame-time`); default an hour. */
  maxFrameTimeMs?: number
  /** Render other nodes' scenes without a sandbox where bwrap cannot work (`--unsafe-no-sandbox`). */
  unsafeNoSandbox?: boolean
  /** The most bytes of scene files fetched from peers kept for later jobs (`--cache-size`). */
  cacheBytes?: number | undefined
  /** When and how much the owner lets this machine render (`--schedule`, `--when-idle`, `--max-cores`, `--min-price`). */
  limits?: OwnerLimits
}

/** 20 GiB of other people's textures: enough for a few real projects, little on today's disks. */
export const DEFAULT_SCENE_CACHE_BYTES = 20 * 1024 ** 3

export interface LedgerSummary {
  author: string
  clock: Clock
  entries: number
  /** inSync: this node already held every entry the peer held (see `holdsAll`). */
  peers: { id: string; clock: Clock | null; inSync: boolean }[]
  inSync: boolean
  /** Authors a fork proof shows forking their feed: none of their entries count from `seq` on. */
  forked: { author: string; seq: number }[]
}

/**
 * One farm node: its ledger on LevelDB, its swarm, its blob store, its control socket, the
 * worker loop that claims and renders frames, and the stitcher of the jobs that name it.
 * Everything it does follows from the ledger's folded state and the blobs it verified.
 */
export class FarmNode extends EventEmitter<{ event: [FarmEvent] }> {
  readonly home: string
  readonly blobs: BlobStore
  readonly sceneCache: SceneCache
  readonly options: FarmNodeOptions
  private ledgerHandle: Ledger | undefined
  private swarmHandle: Swarm | undefined
  private control: ControlServer | undefined
  private config: NodeConfig | undefined
  private worker: Worker | undefined
  private stitcher: Stitcher | undefined
  /** Stops the checks this node renders for other jobs' stitchers (work/delegate.ts). */
  private checksAbort: AbortController | undefined
  private gate: OwnerGate | undefined
  private presenter: InvitePresenter | undefined
  private unlisten: (() => void) | undefined
  private readonly handlers: { [M in MethodName]?: Handler<M> } = {}
  private fingerprint = '?'

  constructor(options: FarmNodeOptions) {
    super()
    this.options = options
    this.home = options.home
    this.blobs = new BlobStore(join(options.home, 'blobs'))
    this.sceneCache = new SceneCache(
      join(options.home, 'scene-cache.json'),
      options.cacheBytes ?? DEFAULT_SCENE_CACHE_BYTES,
      this.blobs,
    )
    registerFarmMethods(this)
  }

  get ledger(): Ledger {
    if (this.ledgerHandle === undefined) throw FarmError.NOT_STARTED()
    return this.ledgerHandle
  }

  get swarm(): Swarm {
    if (this.swarmHandle === undefined) throw FarmError.NOT_STARTED()
    return this.swarmHandle
  }

  /** This node's peer id. */
  get id(): string {
    return this.ledger.author
  }

  get name(): string {
    return this.config?.name ?? ''
  }

  get owner(): string {
    return this.config?.owner ?? ''
  }

  /** A short public name of the swarm, the same on every member (a hash of its key, never the key). */
  get swarmId(): string {
    return this.fingerprint
  }

  /** The ledger's folded state: jobs, frames, claims, results, nodes, balances. */
  state(): FarmState {
    return this.ledger.state()
  }

  peers(): PeerInfo[] {
    return this.swarmHandle?.peers() ?? []
  }

  /** What this node's worker (or stitcher) is busy with now. */
  activity(): Activity {
    if (this.worker === undefined) return { kind: 'idle' }
    const working = this.worker.activity()
    if (working.kind !== 'idle') return working
    return this.stitcher?.activity() ?? working
  }

  /** A paused node claims no new frames; renders in progress finish. Its owner's switch in the ledger. */
  get paused(): boolean {
    return this.ledgerHandle !== undefined && !ownerEnabled(this.ledgerHandle.state(), this.id)
  }

  /** `farm pause`/`resume`, the dashboard's `p`: a `toggle` entry, so every node sees it. */
  async setPaused(paused: boolean): Promise<void> {
    await this.setEnabled(this.id, !paused)
  }

  /**
   * Switches one of this owner's nodes on or off (`farm workers --enable/--disable NODE`) from
   * any of them; returns its peer id. A node of another owner is refused.
   */
  async setEnabled(ref: string, on: boolean): Promise<string> {
    const node = resolveNode(this.ledger, ref)
    const owner = this.ledger.state().nodes[node]?.owner
    if (node !== this.id && owner !== this.owner)
      throw FarmError.NOT_NODE_OWNER(ref, owner ?? 'an unknown owner', this.owner)
    if (ownerEnabled(this.ledger.state(), node) !== on)
      await this.ledger.append('toggle', { node, on, cause: 'owner' })
    this.worker?.wake()
    return node
  }

  /** Agrees to render a job from another owner (writes `accept`). */
  async accept(jobId: string): Promise<void> {
    const job = this.job(jobId)
    if (job.accepted[this.id] === undefined) await this.ledger.append('accept', { job: job.id })
  }

  /** Cancels a job this node submitted: every worker stops its renders of it within seconds. */
  async cancel(jobId: string): Promise<void> {
    const job = this.job(jobId)
    if (job.author !== this.id) throw FarmError.NOT_JOB_OWNER(job.id, job.author ?? 'unknown')
    if (job.settled) throw FarmError.JOB_SETTLED(job.id, job.settled)
    await this.ledger.append('cancel', { job: job.id })
  }

  /** Sets a new price per WU on a job this node submitted (a `reprice` entry): workers take it in the new order. */
  async reprice(jobId: string, pricePerWU: number): Promise<void> {
    const job = this.job(jobId)
    if (job.author !== this.id) throw FarmError.NOT_JOB_OWNER(job.id, job.author ?? 'unknown')
    if (job.settled) throw FarmError.JOB_SETTLED(job.id, job.settled)
    await this.ledger.append('reprice', { job: job.id, pricePerWU })
  }

  /** Packs the scene into the blob store and writes the `job` entry; returns the job id and packing notes. */
  async submit(spec: JobSpec): Promise<{ id: string; notes: string[] }> {
    return submitJob(
      {
        id: this.id,
        home: this.home,
        ledger: this.ledger,
        blobs: this.blobs,
        sceneCache: this.sceneCache,
        rendererVersion: (renderer) => this.rendererVersion(renderer),
      },
      spec,
    )
  }

  /** The version of `renderer` this node renders with, else (it renders none) of the one it would use. */
  private async rendererVersion(renderer: RendererName): Promise<string | undefined> {
    const own = this.worker?.versionOf(renderer)
    if (own !== undefined) return own
    const programs = this.options.installs?.programs
    const found = await detectRenderers(programs ? { programs } : {})
    return found.find((r) => r.name === renderer && r.installed)?.version
  }

  /** A job by id or unique prefix; FarmError (exit 2) when the ledger has none. */
  job(idOrPrefix: string): JobRecord {
    const job = findJob(this.state(), idOrPrefix)
    if (job === undefined) throw FarmError.UNKNOWN_JOB(idOrPrefix)
    return job
  }

  async start(): Promise<void> {
    const config = await readConfig(this.home)
    const secret = await readSwarmSecret(this.home)
    if (config === undefined || secret === undefined) throw FarmError.NOT_INITIALISED(this.home)
    const genesis = await readGenesis(this.home)
    if (genesis === undefined) throw FarmError.NO_GENESIS(this.home)
    if (!Buffer.from(swarmSecretOf(genesis)).equals(Buffer.from(secret)))
      throw FarmError.GENESIS_MISMATCH(this.home)
    this.config = config
    this.fingerprint = swarmFingerprint(secret)
    const privateKey = await loadOrCreateIdentity(this.home)
    const control = new ControlServer(this.home)
    await control.listen(this.home)
    this.control = control
    try {
      await mkdir(join(this.home, 'ledger'), { recursive: true })
      const ledger = await openLedger({
        path: join(this.home, 'ledger'),
        privateKey,
        genesis: [genesis.fields.founder],
      })
      this.ledgerHandle = ledger
      const swarm = new Swarm({
        privateKey,
        swarmKey: secret,
        listen: this.options.listen ?? config.listen,
        bootstrap: [...new Set([...(this.options.bootstrap ?? []), ...config.bootstrap])],
        mdns: this.options.mdns ?? config.mdns,
        relay: this.options.relay ?? 'auto',
        upnp: this.options.upnp ?? false,
        announce: this.options.announce ?? [],
        feed: ledger,
        blobs: this.blobs,
        syncIntervalMs: this.options.syncIntervalMs,
        genesis,
        membership: new LedgerMembership(ledger),
      })
      this.swarmHandle = swarm
      this.forwardSwarmEvents(swarm)
      this.unlisten = ledger.onEntries((entries) => this.reportEntries(entries as Entry[]))
      this.registerMethods(control)
      await swarm.start()
      await answerAdmissions({ ledger, swarm, genesis, log: (message) => this.log('info', message) })
      await this.presentInvite()
      const limits = this.options.limits ?? {}
      this.gate = new OwnerGate(this, limits)
      this.worker = new Worker(this, {
        gate: this.gate,
        ...(limits.maxCores !== undefined ? { maxCores: limits.maxCores } : {}),
        ...(limits.minPrice !== undefined ? { minPrice: limits.minPrice } : {}),
        leaseMs: this.options.leaseMs ?? DEFAULT_LEASE_MS,
        accept: this.options.accept ?? 'all',
        noRender: this.options.noRender ?? false,
        ...(this.options.jobs !== undefined ? { jobs: this.options.jobs } : {}),
        maxFrameTimeMs: this.options.maxFrameTimeMs ?? DEFAULT_MAX_FRAME_TIME_MS,
        unsafeNoSandbox: this.options.unsafeNoSandbox ?? false,
        ...(this.options.installs ? { installs: this.options.installs } : {}),
      })
      const description = await this.worker.describe({
        ...(this.options.renderers ? { renderers: this.options.renderers } : {}),
        ...(this.options.wupm !== undefined ? { wupm: this.options.wupm } : {}),
      })
      await this.describeSelf(config, description)
      // Only now: "started" tells a user or a script that the node is described in the ledger and ready.
      this.log(
        'info',
        `node ${swarm.id} started, listening on ${swarm.addresses().join(' ') || '(no addresses)'}`,
      )
      this.stitcher = new Stitcher(this, this.worker)
      this.stitcher.start()
      this.checksAbort = new AbortController()
      await answerChecks(this, new DelegatedChecks(this, this.worker, this.checksAbort.signal))
      const worker = this.worker
      this.gate.onBusy = () => worker.giveBack("the machine's owner needs it (--when-idle)")
      if (!(this.options.noRender ?? false)) await this.gate.start()
      worker.start()
      void this.worker
        .measureWupm()
        .then((wupm) =>
          wupm === undefined || this.ledgerHandle === undefined
            ? undefined
            : this.describeSelf(config, { ...description, wupm }),
        )
        .catch((err: Error) => this.log('warn', `could not measure this machine's WUPM: ${err.message}`))
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /**
   * Stops claiming, lets renders finish within the grace period (until `hurry` aborts), aborts
   * the rest and releases their claims, then closes everything.
   */
  async stop(opts: { hurry?: AbortSignal } = {}): Promise<void> {
    this.presenter?.stop()
    await this.control?.close()
    this.gate?.stop()
    await this.worker?.stop({ graceMs: this.options.graceMs ?? 0, ...opts })
    await this.stitcher?.stop()
    this.checksAbort?.abort(new Error('the node is stopping'))
    this.unlisten?.()
    await this.rememberMembers().catch((err: Error) =>
      this.log('warn', `could not remember the members' addresses: ${err.message}`),
    )
    await this.swarmHandle?.stop()
    await this.ledgerHandle?.close()
    this.worker = undefined
    this.stitcher = undefined
    this.gate = undefined
    this.control = undefined
    this.swarmHandle = undefined
    this.ledgerHandle = undefined
  }

  /**
   * Presents the invite this home joined with, if no member admitted it yet: a refusal ends the
   * start (exit 2); no member up yet, and the node starts and presents it to each that connects.
   */
  private async presentInvite(): Promise<void> {
    const token = await readPendingInvite(this.home)
    if (token === undefined) return
    this.presenter = new InvitePresenter(
      {
        ledger: this.ledger,
        swarm: this.swarm,
        log: (level, message) => this.log(level, message),
        admitted: () => clearPendingInvite(this.home),
      },
      token,
    )
    if (await this.presenter.present()) return
    this.log('warn', 'no member admitted this node yet: it presents its invite to each member that connects')
    this.presenter.follow()
  }

  /**
   * Keeps the addresses of the members connected now in config.json, so a restart finds the
   * swarm even when the member named by the invite is gone.
   */
  private async rememberMembers(): Promise<void> {
    if (this.swarmHandle === undefined || this.config === undefined) return
    const members = await this.swarmHandle.memberAddresses()
    if (members.length === 0) return
    await writeConfig(this.home, rememberMembers((await readConfig(this.home)) ?? this.config, members))
  }

  /** Syncs with every connected peer now, then tells whether the feeds were already equal. */
  async ledgerSummary(): Promise<LedgerSummary> {
    const swarm = this.swarm
    const peers = await Promise.all(
      swarm.peers().map(async ({ id }) => {
        const outcome = await swarm.syncWith(id)
        const inSync = outcome !== undefined && holdsAll(outcome.ours, outcome.theirs)
        return { id, clock: outcome?.theirs ?? null, inSync }
      }),
    )
    const clock = await this.ledger.clock()
    const entries = Object.values(clock).reduce((sum, seq) => sum + seq, 0)
    const membership = this.ledger.state().membership
    const forked = forkedAuthors(membership).map((author) => ({ author, seq: forkedAt(membership, author)! }))
    return {
      author: this.ledger.author,
      clock,
      entries,
      peers,
      inSync: peers.every((p) => p.inSync),
      forked,
    }
  }

  /** Answers a control-socket method for a `farm` command; usable before or after start. */
  handle<M extends MethodName>(method: M, fn: Handler<M>): void {
    ;(this.handlers as Record<M, Handler<M>>)[method] = fn
    this.control?.handle(method, fn)
  }

  /** Tells the log, the dashboard and every `subscribe`r of the control socket. */
  report(event: FarmEvent): void {
    // Log lines and the dashboard print names and messages other nodes wrote (ledger text.ts).
    const safe = safeStrings(event)
    this.emit('event', safe)
    this.control?.publish(safe)
  }

  log(level: LogLevel, message: string): void {
    this.report({ type: 'log', ts: Date.now(), level, message })
  }

  private reportEntries(entries: Entry[]): void {
    for (const event of eventsOfEntries(this.state(), entries)) this.report(event)
    this.worker?.wake()
    this.stitcher?.wake()
  }

  private forwardSwarmEvents(swarm: Swarm): void {
    const nameOf = (id: string) => this.ledgerHandle?.state().nodes[id]?.name
    const withName = (id: string) => {
      const name = nameOf(id)
      return name === undefined ? {} : { peerName: name }
    }
    swarm.on('peer:joined', (p) => {
      this.report({
        type: 'peer:joined',
        ts: Date.now(),
        peer: p.id,
        ...withName(p.id),
        ...(p.addresses[0] ? { address: p.addresses[0] } : {}),
      })
      this.worker?.wake()
    })
    swarm.on('peer:left', (p) => {
      this.report({ type: 'peer:left', ts: Date.now(), peer: p.id, ...withName(p.id) })
      this.worker?.wake()
    })
    swarm.on('entries:received', (e) => {
      const total = Object.values(this.ledgerHandle?.state().clock ?? {}).reduce((a, b) => a + b, 0)
      this.report({
        type: 'entries:synced',
        ts: Date.now(),
        peer: e.from,
        ...withName(e.from),
        accepted: e.accepted,
        via: e.via,
        total,
      })
    })
    swarm.on('peer:misbehaved', (p) =>
      this.log(
        'warn',
        `peer ${p.id} misbehaved and was disconnected: ${p.reason}; refused until this node restarts`,
      ),
    )
    swarm.on('log', ({ level, message }) => this.log(level, message))
  }

  private registerMethods(control: ControlServer): void {
    for (const method of Object.keys(this.handlers) as MethodName[])
      control.handle(method, this.handlers[method] as Handler<typeof method>)
  }

  private async describeSelf(
    config: NodeConfig,
    work: { renderers: { name: string; version: string }[]; wupm: number },
  ): Promise<void> {
    const limits = this.options.limits ?? {}
    const body = {
      name: config.name,
      owner: config.owner,
      cores: Math.min(cpus().length, limits.maxCores ?? Number.MAX_SAFE_INTEGER),
      ...work,
      ...(limits.schedule ? { schedule: limits.schedule } : {}),
      ...(limits.whenIdle ? { whenIdle: true } : {}),
      ...(limits.minPrice !== undefined ? { minPrice: limits.minPrice } : {}),
      // Said in the ledger, so every member's `farm workers` shows it.
      ...(this.worker?.unsandboxed ? { noSandbox: true as const } : {}),
    }
    const known = this.ledger.state().nodes[this.ledger.author]
    if (
      known?.name === body.name &&
      known.noSandbox === body.noSandbox &&
      known.owner === body.owner &&
      known.cores === body.cores &&
      known.wupm === body.wupm &&
      JSON.stringify([known.schedule, known.whenIdle, known.minPrice]) ===
        JSON.stringify([body.schedule, body.whenIdle, body.minPrice]) &&
      JSON.stringify(known.renderers) === JSON.stringify(body.renderers)
    )
      return
    await this.ledger.append('node', body)
  }
}
