/**
 * What a running node reports: to its log (headless), its dashboard, and `subscribe` clients of
 * its control socket. Events are plain JSON-safe data so they cross the socket unchanged.
 *
 * `ts` is milliseconds since the epoch. Nodes and jobs are named by id (a node's peer id, a job's
 * id); the `*Name` fields carry the display names the ledger knew when the event was made, so a
 * log line reads well without a lookup and stays correct if a name changes later.
 */
export type FarmEvent =
  | PeerJoinedEvent
  | PeerLeftEvent
  | EntriesSyncedEvent
  | JobSubmittedEvent
  | JobAcceptedEvent
  | FrameClaimedEvent
  | FrameRenderedEvent
  | FrameFailedEvent
  | FrameVerifiedEvent
  | JobStitchedEvent
  | JobFailedEvent
  | JobCancelledEvent
  | WorkerBlockedEvent
  | LogEvent

export type FarmEventType = FarmEvent['type']

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** The job an event is about. */
export interface JobRef {
  ts: number
  job: string
  jobName?: string
}

/** A frame of a job, and the worker that did something with it. */
export interface FrameRef extends JobRef {
  frame: number
  node: string
  nodeName?: string
}

export interface PeerJoinedEvent {
  type: 'peer:joined'
  ts: number
  peer: string
  peerName?: string
  /** The multiaddr the connection runs over. */
  address?: string
}

export interface PeerLeftEvent {
  type: 'peer:left'
  ts: number
  peer: string
  peerName?: string
}

/** A sync with a peer brought new ledger entries. */
export interface EntriesSyncedEvent {
  type: 'entries:synced'
  ts: number
  peer: string
  peerName?: string
  /** Entries newly applied by this sync. */
  accepted: number
  /** How they came: pushed by gossip, or pulled by a sync (a catch-up). */
  via?: 'gossip' | 'sync'
  /** Entries this node holds afterwards, all feeds together. */
  total: number
}

export interface JobSubmittedEvent {
  type: 'job:submitted'
  ts: number
  job: string
  jobName: string
  owner: string
  renderer: string
  firstFrame: number
  lastFrame: number
}

/** A worker agreed to render a job from another owner. */
export interface JobAcceptedEvent extends JobRef {
  type: 'job:accepted'
  node: string
  nodeName?: string
}

export interface FrameClaimedEvent extends JobRef {
  type: 'frame:claimed'
  frames: number[]
  node: string
  nodeName?: string
}

export interface FrameRenderedEvent extends FrameRef {
  type: 'frame:rendered'
  renderMs: number
  /** Work units: render minutes times the worker's WUPM. */
  wu: number
}

export interface FrameFailedEvent extends FrameRef {
  type: 'frame:failed'
  /** 1 for the first try. */
  attempt: number
  /** The renderer's own message (its stderr tail). */
  error: string
}

/** The job's stitcher accepted a frame, which pays its worker. */
export interface FrameVerifiedEvent extends FrameRef {
  type: 'frame:verified'
  /** Paid to the worker, in milli-credits. */
  credits: number
}

export interface JobStitchedEvent extends JobRef {
  type: 'job:stitched'
  frames: number
  /** sha256 of the video in the blob store. */
  video: string
  /** Where the video is on this node's disk, when it is. */
  path?: string
}

export interface JobFailedEvent extends JobRef {
  type: 'job:failed'
  reason: string
}

export interface JobCancelledEvent extends JobRef {
  type: 'job:cancelled'
  by: string
  byName?: string
}

/** A worker failed so many distinct frames of a job that it takes no more of them. */
export interface WorkerBlockedEvent extends JobRef {
  type: 'worker:blocked'
  node: string
  nodeName?: string
  /** Distinct frames of the job it failed. */
  failedFrames: number
}

/** Anything else worth a line: start-up, listen addresses, a renderer that is missing. */
export interface LogEvent {
  type: 'log'
  ts: number
  level: LogLevel
  message: string
}
