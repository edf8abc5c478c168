import { formatCredits as credits, shortJobId } from '../../ledger/index.ts'
import { describeFrames } from '../../render/index.ts'
import type { FarmEvent, FarmEventType, LogLevel } from './events.ts'

/**
 * One line per event, for `farm join --headless` and for anything that tails a node's log.
 *
 * human: `<ISO time> <level> <type> <message>`, e.g.
 *   `2026-11-21T05:30:00.000Z info  frame:rendered beta rendered frame 12 of spline in 1.20 s (0.050 WU)`
 * The first three fields never contain spaces, so `cut -d' '`, awk and parseHumanLine split it.
 *
 * json: one object per line, `ts`, `level` and `type` first, then the event's other fields in key
 * order, so equal events give equal lines.
 */
export const LOG_FORMATS = ['human', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export function isLogFormat(text: string): text is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(text)
}

export function formatEvent(event: FarmEvent, format: LogFormat = 'human'): string {
  return format === 'json' ? jsonLine(event) : humanLine(event)
}

/**
 * Whether a log line or the dashboard shows the event: debug lines (the swarm's redial rounds,
 * each peer a blob fetch skipped) only with FARM_DEBUG set, or a busy node's log is mostly them.
 */
export function isShown(event: FarmEvent): boolean {
  return levelOf(event) !== 'debug' || process.env.FARM_DEBUG !== undefined
}

export function levelOf(event: FarmEvent): LogLevel {
  if (event.type === 'log') return event.level
  if (event.type === 'frame:failed') return 'warn'
  if (event.type === 'job:failed') return 'error'
  if (event.type === 'worker:blocked') return 'warn'
  return 'info'
}

const TYPE_WIDTH = 14

function humanLine(event: FarmEvent): string {
  const time = new Date(event.ts).toISOString()
  return `${time} ${levelOf(event).padEnd(5)} ${event.type.padEnd(TYPE_WIDTH)} ${describeEvent(event)}`
}

function jsonLine(event: FarmEvent): string {
  const { ts, type, ...rest } = event as FarmEvent & Record<string, unknown>
  const ordered: Record<string, unknown> = { ts, level: levelOf(event), type }
  for (const key of Object.keys(rest).sort()) {
    if (key !== 'level') ordered[key] = rest[key]
  }
  return JSON.stringify(ordered)
}

export interface HumanLogLine {
  ts: number
  level: LogLevel
  type: FarmEventType
  message: string
}

const HUMAN_LINE =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (debug|info|warn|error) +([a-z]+(?::[a-z]+)?) +(.*)$/

/** Splits a human line back into its fields; undefined for a line this module did not write. */
export function parseHumanLine(line: string): HumanLogLine | undefined {
  const match = HUMAN_LINE.exec(line)
  if (match === null) return undefined
  const [, time, level, type, message] = match
  return { ts: Date.parse(time!), level: level as LogLevel, type: type as FarmEventType, message: message! }
}

/**
 * An event as a line of the dashboard's log pane (src/tui's LogLine): the same words as the
 * headless log, the time left for the pane to show in the terminal's time zone.
 */
export function paneLine(event: FarmEvent): { ts: number; level: LogLevel; text: string } {
  return { ts: event.ts, level: levelOf(event), text: describeEvent(event) }
}

/** The message part of a human line: also what the dashboard's log pane shows. */
export function describeEvent(event: FarmEvent): string {
  switch (event.type) {
    case 'peer:joined':
      return `peer ${peerLabel(event.peer, event.peerName)} joined${event.address ? ` via ${event.address}` : ''}`
    case 'peer:left':
      return `peer ${peerLabel(event.peer, event.peerName)} left`
    case 'entries:synced':
      return `synced ${plural(event.accepted, 'entry', 'entries')} from ${peerLabel(event.peer, event.peerName)}${event.via ? ` by ${event.via}` : ''} (${event.total} held)`
    case 'job:submitted':
      return `${event.owner} submitted job ${jobLabel(event.job, event.jobName)}: ${event.renderer}, frames ${event.firstFrame}-${event.lastFrame}`
    case 'job:accepted':
      return `${peerLabel(event.node, event.nodeName)} accepted job ${jobLabel(event.job, event.jobName)}`
    case 'frame:claimed':
      return `${peerLabel(event.node, event.nodeName)} claimed ${describeFrames(event.frames)} of ${jobLabel(event.job, event.jobName)}`
    case 'frame:rendered':
      return `${peerLabel(event.node, event.nodeName)} rendered frame ${event.frame} of ${jobLabel(event.job, event.jobName)} in ${seconds(event.renderMs)} (${event.wu.toFixed(3)} WU)`
    case 'frame:failed':
      return `${peerLabel(event.node, event.nodeName)} failed frame ${event.frame} of ${jobLabel(event.job, event.jobName)} (attempt ${event.attempt}): ${oneLine(event.error)}`
    case 'frame:verified':
      return `frame ${event.frame} of ${jobLabel(event.job, event.jobName)} verified: ${peerLabel(event.node, event.nodeName)} earns ${credits(event.credits)}`
    case 'job:stitched':
      return `job ${jobLabel(event.job, event.jobName)} stitched from ${plural(event.frames, 'frame', 'frames')}: ${event.path ?? `video ${event.video}`}`
    case 'job:failed':
      return `job ${jobLabel(event.job, event.jobName)} failed: ${oneLine(event.reason)}`
    case 'job:cancelled':
      return `job ${jobLabel(event.job, event.jobName)} cancelled by ${peerLabel(event.by, event.byName)}`
    case 'worker:blocked':
      return `${peerLabel(event.node, event.nodeName)} is blocked from job ${jobLabel(event.job, event.jobName)}: it failed ${plural(event.failedFrames, 'frame', 'frames')} of it`
    case 'log':
      return oneLine(event.message)
  }
}

/** Peer ids all start with the same few characters, so their tail is what tells them apart. */
function peerLabel(id: string, name: string | undefined): string {
  return name ?? (id.length > 10 ? `…${id.slice(-6)}` : id)
}

function jobLabel(id: string, name: string | undefined): string {
  return name ?? shortJobId(id)
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/** Renderer errors span lines; a log line may not. */
function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' | ')
}

function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  const total = Math.round(ms / 1000)
  return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`
}
