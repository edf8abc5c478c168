export { formatCredits, MAX_INVITE_USES, SHORT_ID_CHARS, shortJobId } from '../ledger/index.ts'
export { type Backup, type BackupLog, type BackupOptions, startBackup } from './backup/backup.ts'
export { type CaptureAnnouncement, capturesInLedger } from './backup/capture-entries.ts'
export { CAPTURE_HAVE_PROTOCOL } from './backup/capture-have.ts'
export {
  CaptureShare,
  type CaptureShareInit,
  type SharedFrame,
  type ShareLog,
} from './backup/capture-share.ts'
export {
  type LocalFrame,
  type PeerProblem,
  type PeerVerifyReport,
  verifyOnPeers,
} from './backup/capture-verify.ts'
export { checkBackupDir, type Sharing, startSharing, verifyPeers } from './backup/sharing.ts'
export type { ControlApi, Handler, JobSpec, MethodName, ParamsOf, ResultOf } from './control/api.ts'
export { callNode, subscribeNode, subscribeSocket } from './control/client.ts'
export { ControlServer, socketPath } from './control/socket.ts'
export { DashboardFeed, type DashboardNode } from './dashboard/dashboard-feed.ts'
export { type DashboardModelInput, dashboardModel } from './dashboard/dashboard-model.ts'
export { FarmError, type FarmErrorCode } from './errors.ts'
export type { FarmEvent, FarmEventType, LogLevel } from './events/events.ts'
export { formatEvent, isLogFormat, isShown, LOG_FORMATS, type LogFormat } from './events/log-format.ts'
export { defaultConfig, type NodeConfig, readConfig, writeConfig } from './home/config.ts'
export { FOUNDER_GRANT } from './home/genesis.ts'
export { type InitOptions, type InitResult, initHome } from './home/init.ts'
export {
  DEFAULT_INVITE_MS,
  DEFAULT_INVITE_USES,
  type InviteTerms,
  offlineInvite,
} from './home/invite.ts'
export { adoptInvite, requireJoined } from './home/join.ts'
export { rekeyHome } from './home/rekey.ts'
export {
  type Estimate,
  type EstimateRequest,
  type EstimateSample,
  estimateLocally,
} from './jobs/estimate-local.ts'
export {
  DEFAULT_ATTEMPTS,
  DEFAULT_FPS,
  DEFAULT_PRICE_PER_WU,
  DEFAULT_SIZE,
  planSubmission,
} from './jobs/submit.ts'
export type {
  Credits,
  FailedFrame,
  FrameLogs,
  JobDetail,
  JobPhase,
  JobSummary,
  NodeStatus,
  WorkerSummary,
} from './jobs/summary.ts'
export {
  type JobEarning,
  type JobVerification,
  type MismatchSummary,
  mismatchLines,
} from './jobs/verification.ts'
export type { MemberChange } from './members/manage.ts'
export { ADMISSION_WAIT_MS } from './members/present.ts'
export { type FarmEvent as NodeEvent, FarmNode, type FarmNodeOptions, type LedgerSummary } from './node.ts'
export { DEFAULT_MAX_ARCHIVE_BYTES } from './scene/archive.ts'
export { type BundleItem, EXTERNAL_DIR, type MissingFile, type SceneBundle } from './scene/bundle.ts'
export { type Unavailable, unavailable } from './schedule/availability.ts'
export { formatHours, type Hours, localUtcOffset, parseHours } from './schedule/hours.ts'
export type { OwnerLimits } from './work/owner-gate.ts'
export { type AcceptPolicy, type Activity, DEFAULT_LEASE_MS } from './work/worker.ts'
