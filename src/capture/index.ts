export { RemoteBackup } from './backup/remote-backup.ts'
export {
  type RemoteProblem,
  type RemoteVerifyReport,
  verifyRemote,
} from './backup/verify-remote.ts'
export { type CaptureLog, Capturer, type CapturerInit, type LogLevel, type TickOutcome } from './capturer.ts'
export { runCaptureDaemon } from './daemon.ts'
export { addDays, checkTimeZone, isDay, type LocalMoment, localMoment, parseDay } from './days.ts'
export { CaptureError } from './errors.ts'
export { CaptureSocket, captureSocketPath, socketAnswers } from './event-socket.ts'
export { type CaptureEvent, formatCaptureEvent } from './events.ts'
export { hookEnv } from './hooks/command-hook.ts'
export { EventHooks, hookSecrets, ONCE_HOOKS_GRACE_MS } from './hooks/event-hooks.ts'
export { splitCommand } from './hooks/split-command.ts'
export { readJpegInfo } from './jpeg.ts'
export { frameDays, framePath } from './layout.ts'
export {
  type DayManifest,
  emptyManifest,
  type FrameRecord,
  type MissRecord,
  readManifest,
  withFrame,
  withMiss,
} from './manifest.ts'
export { daysToPrune } from './prune.ts'
export {
  credentialsAsHeader,
  type Redact,
  redactDeep,
  redactor,
  redactRemote,
  redactText,
  redactUrl,
  remoteSecrets,
  urlSecrets,
} from './redact.ts'
export { captureSchedule, HOURLY } from './schedule.ts'
export {
  describeSource,
  type Grab,
  grabber,
  parseSource,
  publicSourceName,
  type SourceSpec,
  sourceSecrets,
} from './sources.ts'
export { isDaylight, type Place, parsePlace, type SunDay, sunDay } from './sun.ts'
export {
  buildSameTime,
  parseAt,
  parseSpan,
  SAME_TIME_FPS,
  type SameTimeResult,
} from './timelapse/same-time.ts'
export { type FrameProblem, type VerifyReport, verifyCaptures } from './verify.ts'
