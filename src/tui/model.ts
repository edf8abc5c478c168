/**
 * What the dashboard shows, as plain data. The farm side builds it from the ledger's state and
 * the node's events; the components only lay it out. Nothing here is computed by the dashboard
 * except grouping frames to fit the terminal.
 */
export interface DashboardModel {
  header: HeaderModel
  /** Every node the ledger knows, in the order to show them (this node first is a good order). */
  workers: WorkerRow[]
  /** Jobs in queue order. */
  jobs: JobRow[]
  /** Frames of the job last passed to `onSelect`; null until it is loaded or with no jobs. */
  detail: JobDetail | null
  /** The node's recent events, oldest first; the pane shows the newest that fit. */
  log: LogLine[]
}

export interface HeaderModel {
  swarmId: string
  nodeName: string
  owner: string
  /** Peers connected right now. */
  peers: number
  /** Ledger entries held, all feeds together. */
  entries: number
  /** True when no connected peer holds an entry this node lacks. */
  inSync: boolean
  /** This node's owner's balance, in milli-credits. */
  balance: number
  /** This worker takes no new frames. */
  paused: boolean
}

export type WorkerActivity =
  | { kind: 'idle' }
  | { kind: 'fetching'; job: string }
  | { kind: 'rendering'; job: string; frame: number }
  | { kind: 'stitching'; job: string }

export interface WorkerRow {
  id: string
  name: string
  owner: string
  /** This row is the node the dashboard runs on. */
  self: boolean
  online: boolean
  activity: WorkerActivity
  /** Work units per minute from `farm bench`; null before the node has benchmarked. */
  wupm: number | null
  framesSession: number
  framesTotal: number
  /** False when its owner paused it: it takes no new frames. */
  enabled: boolean
  /** A fork proof shows it signed two versions of its feed: its entries count no more. */
  forked?: boolean
  /** It renders other nodes' scenes without a sandbox (`farm join --unsafe-no-sandbox`). */
  noSandbox?: boolean
}

export type JobState = 'queued' | 'rendering' | 'stitching' | 'done' | 'failed' | 'cancelled'

export interface JobRow {
  id: string
  name: string
  owner: string
  /** Submitted by this node's owner: only those can be cancelled from here. */
  own: boolean
  /** This worker renders it: its own, allowed by the accept policy, or accepted with `a`. */
  accepted: boolean
  renderer: string
  frames: number
  verified: number
  /** Frames claimed and being rendered right now. */
  rendering: number
  failed: number
  /** Estimated time to the last frame; null while there is nothing to estimate from. */
  etaMs: number | null
  state: JobState
  /** Why nobody renders it now, when nobody can (the farm's words). */
  stalled?: string
}

/** waiting: nobody holds it; claimed: a worker renders it; rendered: awaiting the stitcher's check. */
export type FrameState = 'waiting' | 'claimed' | 'rendered' | 'verified' | 'failed'

export interface JobDetail {
  jobId: string
  firstFrame: number
  /** State of each frame, index 0 being `firstFrame`. */
  frames: readonly FrameState[]
  /** Work units each frame took, index as `frames`; null for frames not rendered yet. */
  wu: readonly (number | null)[]
  /** The job's most recent frame failures, oldest first. */
  errors: FrameError[]
}

export interface FrameError {
  frame: number
  worker: string
  attempt: number
  /** A verifier's re-render disagreed with the worker's image (or WU): shown apart from renderer failures. */
  mismatch?: true
  /** The renderer's own message. */
  message: string
}

export interface LogLine {
  ts: number
  level: 'debug' | 'info' | 'warn' | 'error'
  text: string
}

/**
 * Something that holds the latest model and says when it changed: the farm's view of a node.
 * The dashboard calls `get()` only when it draws, a few times a second however often listeners
 * are called, so `get()` may build the model from the ledger's state right then.
 */
export interface ModelSource {
  get(): DashboardModel
  subscribe(listener: () => void): () => void
}

/**
 * What the keys ask the farm to do. The dashboard never changes the model itself; the farm
 * writes the ledger and the next model shows the result. A rejected promise is shown to the user.
 */
export interface DashboardActions {
  /** The cursor moved to this job: make it `detail` in the coming models. */
  onSelect(jobId: string): void
  /** Enter on a job: the dashboard shows its full frame view. */
  onOpen?(jobId: string): void
  /** `a`: this worker agrees to render a job of another owner. */
  onAccept(jobId: string): void | Promise<void>
  /** `p`: pause this worker if it runs, resume it if paused. */
  onPause(): void | Promise<void>
  /** `c` then `y`: called only once the user confirmed, and only for own jobs. */
  onCancel(jobId: string): void | Promise<void>
  /** `q` or Ctrl+C: the dashboard unmounts after calling it. */
  onQuit(): void
}
