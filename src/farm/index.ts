export { DEFAULT_MAX_ARCHIVE_BYTES } from './archive.ts'
export { type Backup, type BackupLog, type BackupOptions, startBackup } from './backup.ts'
export { type CaptureAnnouncement, capturesInLedger } from './capture-entries.ts'
export { CAPTURE_HAVE_PROTOCOL } from './capture-have.ts'
export { CaptureShare, type CaptureShareInit, type SharedFrame, type ShareLog } from './capture-share.ts'
export { type LocalFrame, type PeerProblem, type PeerVerifyReport, verifyOnPeers } from './capture-verify.ts'
export { defaultConfig, type NodeConfig, readConfig, resolveHome, writeConfig } from './config.ts'
export {
  type ControlMethod,
  ControlServer,
  callNode,
  socketPath,
  subscribeNode,
} from './control.ts'
export { type DashboardModelInput, dashboardModel } from './dashboard-model.ts'
export { FarmError } from './errors.ts'
export type { FarmEvent, FarmEventType, LogLevel } from './events.ts'
export { FOUNDER_GRANT, grantFounder } from './genesis.ts'
export { formatEvent, isLogFormat, LOG_FORMATS, type LogFormat } from './log-format.ts'
export type { FailedFrame, JobDetail, JobSummary, WorkerSummary } from './methods.ts'
export { type FarmEvent as NodeEvent, FarmNode, type FarmNodeOptions, type LedgerSummary } from './node.ts'
export { DEFAULT_ATTEMPTS, DEFAULT_FPS, DEFAULT_PRICE_PER_WU, DEFAULT_SIZE, type JobSpec } from './submit.ts'
export { type AcceptPolicy, type Activity, DEFAULT_LEASE_MS } from './worker.ts'
