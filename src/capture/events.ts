/**
 * What a capture process tells other programs (`--on-event`, `--webhook`, `farm events
 * --follow`): plain JSON-safe data, `ts` in milliseconds since the epoch, paths absolute on this
 * machine. Texts are redacted before they leave the process (see redact.ts).
 */
export type CaptureEvent =
  | FrameSavedEvent
  | FrameMissedEvent
  | TimelapseRebuiltEvent
  | DayFinalizedEvent
  | DayPrunedEvent
  | BackupFailedEvent

export interface FrameSavedEvent {
  type: 'frame:saved'
  ts: number
  day: string
  /** `HHmmss.jpg` inside `frames/<day>/`. */
  file: string
  /** The frame on disk; also `FARM_FRAME` for an `--on-event` command. */
  path: string
  thumb: string
  /** ISO 8601 instant of the capture. */
  time: string
  sha256: string
  size: number
  width: number
  height: number
  brightness: number
}

export interface FrameMissedEvent {
  type: 'frame:missed'
  ts: number
  day: string
  time: string
  reason: 'error' | 'dark' | 'low-disk'
  message: string
}

/** The day's video was written again, now holding `frames` frames. */
export interface TimelapseRebuiltEvent {
  type: 'timelapse:rebuilt'
  ts: number
  day: string
  frames: number
  path: string
  /** The day's picture, when its thumbnails are kept. */
  poster?: string
}

/** The day is over and its video holds all of it. */
export interface DayFinalizedEvent {
  type: 'day:finalized'
  ts: number
  day: string
  frames: number
  missed: number
  /** The day's video; absent when the day has no frame. */
  path?: string
}

/** `--keep-days` removed the day's frames and thumbnails; its video and manifest stay. */
export interface DayPrunedEvent {
  type: 'day:pruned'
  ts: number
  day: string
  frames: number
}

/** An upload to `--backup-remote` failed; the files stay queued and are retried. */
export interface BackupFailedEvent {
  type: 'backup:failed'
  ts: number
  /** The remote, its parameter values redacted. */
  remote: string
  error: string
  /** Files waiting for the remote, this batch included. */
  pending: number
  /** The files of the failed batch (paths below --dir), at most 20. */
  files: string[]
  /** Failed uploads in a row, 1 for the first. */
  failures: number
}

/** One line for a person: `farm events --follow` and the capture's own log. */
function describeCaptureEvent(event: CaptureEvent): string {
  switch (event.type) {
    case 'frame:saved':
      return `frames/${event.day}/${event.file} saved (${event.width}x${event.height}, ${event.size} bytes)`
    case 'frame:missed':
      return `no frame at ${event.time} (${event.reason}): ${event.message}`
    case 'timelapse:rebuilt':
      return `timelapse ${event.day} rebuilt from ${event.frames} ${event.frames === 1 ? 'frame' : 'frames'}: ${event.path}`
    case 'day:finalized':
      return `day ${event.day} finalised: ${event.frames} frames, ${event.missed} missed${event.path ? `, ${event.path}` : ''}`
    case 'day:pruned':
      return `frames of ${event.day} pruned (${event.frames} frames); its timelapse stays`
    case 'backup:failed':
      return `upload to ${event.remote} failed (${event.failures} in a row, ${event.pending} files waiting): ${event.error}`
  }
}

function levelOfCaptureEvent(event: CaptureEvent): 'info' | 'warn' | 'error' {
  if (event.type === 'backup:failed') return 'warn'
  if (event.type === 'frame:missed') return event.reason === 'dark' ? 'info' : 'error'
  return 'info'
}

/**
 * One line per event, in the two formats of a node's log (src/farm's log-format.ts), so a script
 * reads a capture's events and a node's the same way: human `<ISO time> <level> <type>
 * <message>`, or JSON with `ts`, `level` and `type` first and the other fields in key order.
 */
export function formatCaptureEvent(event: CaptureEvent, format: 'human' | 'json'): string {
  const level = levelOfCaptureEvent(event)
  if (format === 'human')
    return `${new Date(event.ts).toISOString()} ${level.padEnd(5)} ${event.type.padEnd(17)} ${describeCaptureEvent(event)}`
  const { ts, type, ...rest } = event as CaptureEvent & Record<string, unknown>
  const ordered: Record<string, unknown> = { ts, level, type }
  for (const key of Object.keys(rest).sort()) ordered[key] = rest[key]
  return JSON.stringify(ordered)
}
