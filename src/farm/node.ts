import { EventEmitter } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { type Ledger, openLedger } from '../ledger/index.ts'
import { BlobStore, loadOrCreateIdentity, P2PError, readSwarmSecret, Swarm } from '../p2p/index.ts'
import { type NodeConfig, readConfig, writeConfig } from './config.ts'
import { type ControlMethod, ControlServer } from './control.ts'

/** What a running node reports, to its log, its dashboard and `subscribe`rs of its control socket. */
export type NodeEvent =
  | { type: 'node:started'; id: string; addresses: string[] }
  | { type: 'peer:joined'; peer: string; addresses: string[] }
  | { type: 'peer:left'; peer: string }
  | { type: 'entries:synced'; from: string; via: 'gossip' | 'sync'; accepted: number }
  | { type: 'peer:misbehaved'; peer: string; reason: string }
  | { type: 'log'; message: string }

export interface FarmNodeOptions {
  home: string
  /** Override the config's listen addresses (`farm join --listen`). */
  listen?: string[]
  /** Extra members to dial at start (from an invite), beside the config's. */
  bootstrap?: string[]
  mdns?: boolean
  syncIntervalMs?: number
}

export interface LedgerSummary {
  author: string
  clock: Record<string, number>
  entries: number
  peers: { id: string; clock: Record<string, number> | null; inSync: boolean }[]
  inSync: boolean
}

/**
 * One farm node: its ledger on LevelDB, its swarm, its blob store and its control socket.
 * `start` appends this node's `node` entry when its description changed, so peers learn its
 * name, owner and cores; later issues add the worker loop and the stitcher on top.
 */
export class FarmNode extends EventEmitter<{ event: [NodeEvent] }> {
  readonly home: string
  readonly blobs: BlobStore
  private readonly options: FarmNodeOptions
  private ledgerHandle: Ledger | undefined
  private swarmHandle: Swarm | undefined
  private control: ControlServer | undefined
  private config: NodeConfig | undefined
  private readonly methods = new Map<string, ControlMethod>()

  constructor(options: FarmNodeOptions) {
    super()
    this.options = options
    this.home = options.home
    this.blobs = new BlobStore(join(options.home, 'blobs'))
  }

  get ledger(): Ledger {
    if (this.ledgerHandle === undefined) throw new Error('the node is not started')
    return this.ledgerHandle
  }

  get swarm(): Swarm {
    if (this.swarmHandle === undefined) throw new Error('the node is not started')
    return this.swarmHandle
  }

  async start(): Promise<void> {
    const config = await readConfig(this.home)
    const secret = await readSwarmSecret(this.home)
    if (config === undefined || secret === undefined) {
      throw new P2PError(
        'NOT_INITIALISED',
        `${this.home} is not a farm node home: run \`farm init --home ${this.home}\` for a new swarm, or \`farm join <invite> --home ${this.home}\``,
        2,
      )
    }
    this.config = config
    const privateKey = await loadOrCreateIdentity(this.home)
    const control = new ControlServer(this.home)
    await control.listen(this.home)
    this.control = control
    try {
      await mkdir(join(this.home, 'ledger'), { recursive: true })
      this.ledgerHandle = await openLedger({ path: join(this.home, 'ledger'), privateKey })
      const swarm = new Swarm({
        privateKey,
        swarmKey: secret,
        listen: this.options.listen ?? config.listen,
        bootstrap: [...new Set([...(this.options.bootstrap ?? []), ...config.bootstrap])],
        mdns: this.options.mdns ?? config.mdns,
        feed: this.ledgerHandle,
        blobs: this.blobs,
        syncIntervalMs: this.options.syncIntervalMs,
      })
      this.swarmHandle = swarm
      this.forwardSwarmEvents(swarm)
      this.registerMethods(control)
      await swarm.start()
      this.report({ type: 'node:started', id: swarm.id, addresses: swarm.addresses() })
      await this.describeSelf(config)
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async stop(): Promise<void> {
    await this.control?.close()
    await this.rememberMembers().catch((err: Error) =>
      this.report({ type: 'log', message: `could not remember the members' addresses: ${err.message}` }),
    )
    await this.swarmHandle?.stop()
    await this.ledgerHandle?.close()
    this.control = undefined
    this.swarmHandle = undefined
    this.ledgerHandle = undefined
  }

  /**
   * Keeps the addresses of the members connected now in config.json, so a restart finds the
   * swarm even when the member named by the invite is gone.
   */
  private async rememberMembers(): Promise<void> {
    if (this.swarmHandle === undefined || this.config === undefined) return
    const members = await this.swarmHandle.memberAddresses()
    if (members.length === 0) return
    const config = (await readConfig(this.home)) ?? this.config
    config.bootstrap = [...new Set([...members, ...config.bootstrap])].slice(0, 16)
    await writeConfig(this.home, config)
  }

  /** Syncs with every connected peer now, then tells whether the feeds were already equal. */
  async ledgerSummary(): Promise<LedgerSummary> {
    const swarm = this.swarm
    const peers = await Promise.all(
      swarm.peers().map(async ({ id }) => {
        const outcome = await swarm.syncWith(id)
        const inSync = outcome !== undefined && sameClock(outcome.ours, outcome.theirs)
        return { id, clock: outcome?.theirs ?? null, inSync }
      }),
    )
    const clock = await this.ledger.clock()
    const entries = Object.values(clock).reduce((sum, seq) => sum + seq, 0)
    return { author: this.ledger.author, clock, entries, peers, inSync: peers.every((p) => p.inSync) }
  }

  /** Adds a control-socket method for a `farm` command to call; usable before or after start. */
  handle(method: string, fn: ControlMethod): void {
    this.methods.set(method, fn)
    this.control?.handle(method, fn)
  }

  /** Tells the log, the dashboard and every `subscribe`r of the control socket. */
  report(event: NodeEvent): void {
    this.emit('event', event)
    this.control?.publish(event)
  }

  private forwardSwarmEvents(swarm: Swarm): void {
    swarm.on('peer:joined', (p) => this.report({ type: 'peer:joined', peer: p.id, addresses: p.addresses }))
    swarm.on('peer:left', (p) => this.report({ type: 'peer:left', peer: p.id }))
    swarm.on('entries:received', (e) => this.report({ type: 'entries:synced', ...e }))
    swarm.on('peer:misbehaved', (p) => this.report({ type: 'peer:misbehaved', peer: p.id, reason: p.reason }))
    swarm.on('log', (message) => this.report({ type: 'log', message }))
  }

  private registerMethods(control: ControlServer): void {
    control.handle('status', async () => ({
      id: this.swarm.id,
      name: this.config?.name,
      owner: this.config?.owner,
      addresses: this.swarm.addresses(),
      peers: this.swarm.peers().length,
    }))
    control.handle('peers', async () => this.swarm.peers())
    control.handle('ledger', async () => this.ledgerSummary())
    control.handle('invite', async () => this.swarm.invite())
    for (const [method, fn] of this.methods) control.handle(method, fn)
  }

  private async describeSelf(config: NodeConfig): Promise<void> {
    const body = { name: config.name, owner: config.owner, renderers: [], cores: cpus().length, wupm: 0 }
    const known = this.ledger.state().nodes[this.ledger.author]
    if (known?.name === body.name && known.owner === body.owner && known.cores === body.cores) return
    await this.ledger.append('node', body)
  }
}

function sameClock(a: Record<string, number>, b: Record<string, number>): boolean {
  const authors = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const author of authors) if ((a[author] ?? 0) !== (b[author] ?? 0)) return false
  return true
}
