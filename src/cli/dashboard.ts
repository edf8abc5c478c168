import { createHash } from 'node:crypto'
import {
  type AcceptPolicy,
  dashboardModel,
  type FarmEvent,
  formatEvent,
  type LogFormat,
  type Activity as NodeActivity,
} from '../farm/index.ts'
import type { Clock, FarmState } from '../ledger/index.ts'
import { readSwarmSecret } from '../p2p/index.ts'
import type { DashboardActions, ModelSource, MountOptions } from '../tui/index.ts'
import { onStopSignal } from './signals.ts'

/** What the dashboard needs of a running FarmNode. */
export interface DashboardNode {
  readonly id: string
  readonly name: string
  readonly owner: string
  readonly home: string
  readonly paused: boolean
  readonly options?: { accept?: AcceptPolicy }
  state(): FarmState
  peers(): readonly { id: string }[]
  activity(): NodeActivity
  setPaused(paused: boolean): unknown
  accept(jobId: string): Promise<unknown>
  cancel(jobId: string): Promise<unknown>
  stop(): Promise<void>
  on(event: 'event', listener: (event: FarmEvent) => void): unknown
  off(event: 'event', listener: (event: FarmEvent) => void): unknown
  /** When the node has them: entries that change the state without an event of their own, and peers' clocks. */
  readonly ledger?: { onEntries(listener: () => void): () => void }
  readonly swarm?: {
    on(event: 'sync:done', listener: (outcome: { peer: string; theirs: Clock }) => void): unknown
    off(event: 'sync:done', listener: (outcome: { peer: string; theirs: Clock }) => void): unknown
  }
}

export interface RunDashboardOptions {
  /** How the lines written after the dashboard closes (stopping, stopped) read. */
  logFormat?: LogFormat
  accept?: AcceptPolicy
  /** Closes the dashboard and stops the node, as `q` does, when the caller is done (`farm demo`). */
  signal?: AbortSignal
  mount?: MountOptions
}

/** Events the log pane keeps: more than any terminal shows. */
const LOG_EVENTS = 200
/** Leases expire and ETAs move with time alone, so the model is rebuilt this often anyway. */
const TICK_MS = 1000

/**
 * Shows the dashboard of a running node until `q`, Ctrl+C, SIGINT or SIGTERM, then stops the
 * node and resolves. The model is built from the node's state only when the dashboard draws.
 */
export async function runDashboard(node: DashboardNode, options: RunDashboardOptions = {}): Promise<void> {
  const { mountDashboard } = await import('../tui/index.ts')
  const swarmId = await swarmFingerprint(node.home)
  const view = new NodeView(node)
  const source: ModelSource = {
    get: () =>
      dashboardModel({
        state: node.state(),
        self: { id: node.id, name: node.name, owner: node.owner },
        swarmId,
        peers: node.peers().map((p) => p.id),
        inSync: view.inSync(),
        activity: node.activity(),
        paused: node.paused,
        accept: options.accept ?? node.options?.accept,
        events: view.events,
        selectedJob: view.selectedJob,
        now: Date.now(),
        sessionFrames: view.sessionFrames,
      }),
    subscribe: (listener) => view.subscribe(listener),
  }
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= node.stop()
    return stopping
  }
  const actions: DashboardActions = {
    onSelect(jobId) {
      view.select(jobId)
    },
    onOpen(jobId) {
      view.select(jobId)
    },
    async onAccept(jobId) {
      await node.accept(jobId)
    },
    async onPause() {
      await node.setPaused(!node.paused)
      view.changed()
    },
    async onCancel(jobId) {
      await node.cancel(jobId)
    },
    onQuit() {
      void stop()
    },
  }
  const handle = mountDashboard(source, actions, options.mount)
  const closeDashboard = () => {
    void stop()
    handle.unmount()
  }
  const releaseSignals = onStopSignal(closeDashboard)
  if (options.signal?.aborted) closeDashboard()
  options.signal?.addEventListener('abort', closeDashboard, { once: true })
  try {
    await handle.waitUntilExit()
    const say = (message: string) =>
      process.stderr.write(
        `${formatEvent({ type: 'log', ts: Date.now(), level: 'info', message }, options.logFormat)}\n`,
      )
    say('stopping the node')
    await stop()
    say('stopped')
  } finally {
    releaseSignals()
    options.signal?.removeEventListener('abort', closeDashboard)
    view.close()
  }
}

/**
 * A public name for the swarm: a hash of its secret, which never leaves the home. Two nodes of
 * one swarm show the same.
 */
async function swarmFingerprint(home: string): Promise<string> {
  const secret = await readSwarmSecret(home)
  if (secret === undefined) return '?'
  return createHash('sha256').update('farm/swarm-id\0').update(secret).digest('hex').slice(0, 16)
}

/** What the node tells between two draws: recent events, frames done this session, peers' clocks. */
class NodeView {
  readonly events: FarmEvent[] = []
  readonly sessionFrames: Record<string, number> = {}
  selectedJob: string | undefined
  private readonly node: DashboardNode
  private readonly listeners = new Set<() => void>()
  private readonly peerClocks = new Map<string, Clock>()
  private readonly cleanups: (() => void)[] = []

  constructor(node: DashboardNode) {
    this.node = node
    const onEvent = (event: FarmEvent) => {
      this.events.push(event)
      if (this.events.length > LOG_EVENTS) this.events.splice(0, this.events.length - LOG_EVENTS)
      if (event.type === 'frame:rendered')
        this.sessionFrames[event.node] = (this.sessionFrames[event.node] ?? 0) + 1
      if (event.type === 'peer:left') this.peerClocks.delete(event.peer)
      this.changed()
    }
    node.on('event', onEvent)
    this.cleanups.push(() => node.off('event', onEvent))
    const ledger = node.ledger
    if (ledger) this.cleanups.push(ledger.onEntries(() => this.changed()))
    const swarm = node.swarm
    if (swarm) {
      const onSync = (outcome: { peer: string; theirs: Clock }) => {
        this.peerClocks.set(outcome.peer, outcome.theirs)
        this.changed()
      }
      swarm.on('sync:done', onSync)
      this.cleanups.push(() => swarm.off('sync:done', onSync))
    }
    const tick = setInterval(() => this.changed(), TICK_MS)
    tick.unref()
    this.cleanups.push(() => clearInterval(tick))
  }

  /** In sync when no connected peer was last seen holding an entry this node lacks. */
  inSync(): boolean {
    const connected = new Set(this.node.peers().map((p) => p.id))
    const ours = this.node.state().clock
    for (const [peer, theirs] of this.peerClocks) {
      if (!connected.has(peer)) continue
      for (const [author, seq] of Object.entries(theirs)) if ((ours[author] ?? 0) < seq) return false
    }
    return true
  }

  select(jobId: string): void {
    this.selectedJob = jobId
    this.changed()
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  changed(): void {
    for (const listener of this.listeners) listener()
  }

  close(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    this.listeners.clear()
  }
}
