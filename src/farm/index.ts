export { type Backup, type BackupLog, type BackupOptions, startBackup } from './backup.ts'
export { type CaptureAnnouncement, capturesInLedger } from './capture-entries.ts'
export { CAPTURE_HAVE_PROTOCOL } from './capture-have.ts'
export { CaptureShare, type CaptureShareInit, type SharedFrame, type ShareLog } from './capture-share.ts'
export { type LocalFrame, type PeerProblem, type PeerVerifyReport, verifyOnPeers } from './capture-verify.ts'
export { defaultConfig, type NodeConfig, readConfig, resolveHome, writeConfig } from './config.ts'
export {
  ControlError,
  type ControlMethod,
  ControlServer,
  callNode,
  socketPath,
  subscribeNode,
} from './control.ts'
export { FarmNode, type FarmNodeOptions, type LedgerSummary, type NodeEvent } from './node.ts'
