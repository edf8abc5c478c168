import type { Clock, FarmState } from '../../ledger/index.ts'
import { holdsAll } from '../../ledger/index.ts'
import type { DashboardModel } from '../../tui/index.ts'
import type { FarmEvent } from '../events/events.ts'
import { isShown } from '../events/log-format.ts'
import type { AcceptPolicy, Activity } from '../work/worker.ts'
import { dashboardModel } from './dashboard-model.ts'

/** What the dashboard needs of a running FarmNode. */
export interface DashboardNode {
  readonly id: string
  readonly name: string
  readonly owner: string
  readonly swarmId: string
  readonly paused: boolean
  readonly options?: { accept?: AcceptPolicy }
  state(): FarmState
  peers(): readonly { id: string }[]
  activity(): Activity
  on(event: 'event', listener: (event: FarmEvent) => void): unknown
  off(event: 'event', listener: (event: FarmEvent) => void): unknown
  /** When the node has them: entries that change the state without an event of their own, and peers' clocks. */
  readonly ledger?: { onEntries(listener: () => void): () => void }
  readonly swarm?: {
    on(event: 'sync:done', listener: (outcome: { peer: string; theirs: Clock }) => void): unknown
    off(event: 'sync:done', listener: (outcome: { peer: string; theirs: Clock }) => void): unknown
  }
}

/** Events the log pane keeps: more than any terminal shows. */
const LOG_EVENTS = 200
/** Leases expire and ETAs move with time alone, so the model is rebuilt this often anyway. */
const TICK_MS = 1000

/**
 * The dashboard's view of a running node: what the node tells between two draws (recent events,
 * frames done this session, peers' clocks) and the model built from its state only when the
 * dashboard draws, so a flood of entries costs one build.
 */
export class DashboardFeed {
  private readonly events: FarmEvent[] = []
  private readonly sessionFrames: Record<string, number> = {}
  private selectedJob: string | undefined
  private readonly node: DashboardNode
  private readonly accept: AcceptPolicy | undefined
  private readonly listeners = new Set<() => void>()
  private readonly peerClocks = new Map<string, Clock>()
  private readonly cleanups: (() => void)[] = []

  constructor(node: DashboardNode, opts: { accept?: AcceptPolicy } = {}) {
    this.node = node
    this.accept = opts.accept ?? node.options?.accept
    const onEvent = (event: FarmEvent) => {
      if (!isShown(event)) return
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

  model(): DashboardModel {
    const node = this.node
    return dashboardModel({
      state: node.state(),
      self: { id: node.id, name: node.name, owner: node.owner },
      swarmId: node.swarmId,
      peers: node.peers().map((p) => p.id),
      inSync: this.inSync(),
      activity: node.activity(),
      paused: node.paused,
      accept: this.accept,
      events: this.events,
      selectedJob: this.selectedJob,
      now: Date.now(),
      sessionFrames: this.sessionFrames,
    })
  }

  /** In sync when this node holds every entry each connected peer was last seen holding. */
  private inSync(): boolean {
    const connected = new Set(this.node.peers().map((p) => p.id))
    const ours = this.node.state().clock
    for (const [peer, theirs] of this.peerClocks)
      if (connected.has(peer) && !holdsAll(ours, theirs)) return false
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
