import { describe, expect, it } from 'vitest'
import type { FarmEvent } from '../../src/farm/events/events.ts'
import {
  formatEvent,
  isLogFormat,
  isShown,
  levelOf,
  paneLine,
  parseHumanLine,
} from '../../src/farm/events/log-format.ts'

const ts = Date.UTC(2026, 10, 21, 5, 30, 0, 250)
const alpha = '12D3KooWAlphaAlphaAlphaAlphaAlphaAlphaAlphaQx7Qe2a'
const job = '3f9a2c1b7d0e4f5a6b7c8d9e0f1a2b3c'

/** One of every event type, as a node would report them during a job's life. */
const events: FarmEvent[] = [
  { type: 'peer:joined', ts, peer: alpha, peerName: 'alpha', address: '/ip4/127.0.0.1/tcp/4001' },
  { type: 'peer:left', ts, peer: alpha },
  { type: 'entries:synced', ts, peer: alpha, peerName: 'alpha', accepted: 12, total: 1204 },
  {
    type: 'job:submitted',
    ts,
    job,
    jobName: 'spline',
    owner: 'alice',
    renderer: 'povray',
    firstFrame: 1,
    lastFrame: 240,
  },
  { type: 'job:accepted', ts, job, jobName: 'spline', node: alpha, nodeName: 'alpha' },
  {
    type: 'frame:claimed',
    ts,
    job,
    jobName: 'spline',
    frames: [4, 1, 2, 3, 9, 12, 13],
    node: alpha,
    nodeName: 'alpha',
  },
  {
    type: 'frame:rendered',
    ts,
    job,
    jobName: 'spline',
    frame: 12,
    node: alpha,
    nodeName: 'alpha',
    renderMs: 1200,
    wu: 0.05,
  },
  {
    type: 'frame:failed',
    ts,
    job,
    frame: 37,
    node: alpha,
    attempt: 2,
    error: 'File: scene.pov  Line: 12\nParse Error: Expected object\n\n',
  },
  {
    type: 'frame:verified',
    ts,
    job,
    jobName: 'spline',
    frame: 12,
    node: alpha,
    nodeName: 'alpha',
    credits: 50,
  },
  {
    type: 'job:stitched',
    ts,
    job,
    jobName: 'spline',
    frames: 240,
    video: 'ab'.repeat(32),
    path: '/tmp/spline.mp4',
  },
  { type: 'job:failed', ts, job, jobName: 'spline', reason: 'frame 37 failed 3 times' },
  { type: 'job:cancelled', ts, job, jobName: 'spline', by: alpha, byName: 'alpha' },
  {
    type: 'log',
    ts,
    level: 'warn',
    message: 'blender is not installed: this node renders POV-Ray jobs only',
  },
]

describe('headless log lines', () => {
  it('say what happened, one human line per event', () => {
    expect(events.map((event) => formatEvent(event))).toEqual([
      '2026-11-21T05:30:00.250Z info  peer:joined    peer alpha joined via /ip4/127.0.0.1/tcp/4001',
      '2026-11-21T05:30:00.250Z info  peer:left      peer …x7Qe2a left',
      '2026-11-21T05:30:00.250Z info  entries:synced synced 12 entries from alpha (1204 held)',
      '2026-11-21T05:30:00.250Z info  job:submitted  alice submitted job spline: povray, frames 1-240',
      '2026-11-21T05:30:00.250Z info  job:accepted   alpha accepted job spline',
      '2026-11-21T05:30:00.250Z info  frame:claimed  alpha claimed frames 1-4, 9, 12-13 of spline',
      '2026-11-21T05:30:00.250Z info  frame:rendered alpha rendered frame 12 of spline in 1.20 s (0.050 WU)',
      '2026-11-21T05:30:00.250Z warn  frame:failed   …x7Qe2a failed frame 37 of 3f9a2c1b7d0e (attempt 2): File: scene.pov  Line: 12 | Parse Error: Expected object',
      '2026-11-21T05:30:00.250Z info  frame:verified frame 12 of spline verified: alpha earns 0.050 cr',
      '2026-11-21T05:30:00.250Z info  job:stitched   job spline stitched from 240 frames: /tmp/spline.mp4',
      '2026-11-21T05:30:00.250Z error job:failed     job spline failed: frame 37 failed 3 times',
      '2026-11-21T05:30:00.250Z info  job:cancelled  job spline cancelled by alpha',
      '2026-11-21T05:30:00.250Z warn  log            blender is not installed: this node renders POV-Ray jobs only',
    ])
  })

  it('split back into time, level, type and message', () => {
    for (const event of events) {
      const parsed = parseHumanLine(formatEvent(event))
      expect(parsed).toMatchObject({ ts, type: event.type })
      expect(parsed?.message).not.toMatch(/^ /)
    }
    expect(parseHumanLine('some other program wrote this')).toBeUndefined()
  })

  it('never span two lines, whatever the renderer printed', () => {
    const event: FarmEvent = { ...events[7]!, error: 'a\r\nb\n\nc' } as FarmEvent
    expect(formatEvent(event)).not.toMatch(/[\r\n]/)
    expect(formatEvent(event)).toMatch(/: a \| b \| c$/)
  })
})

describe('--log-format json', () => {
  it('gives each event back from its line, with its level', () => {
    for (const event of events) {
      const line = formatEvent(event, 'json')
      expect(line).not.toContain('\n')
      expect(JSON.parse(line)).toEqual({ ...event, level: levelOf(event) })
    }
  })

  it('writes ts, level and type first and the rest in key order, so lines are stable', () => {
    expect(formatEvent(events[6]!, 'json')).toBe(
      `{"ts":${ts},"level":"info","type":"frame:rendered","frame":12,"job":"${job}","jobName":"spline","node":"${alpha}","nodeName":"alpha","renderMs":1200,"wu":0.05}`,
    )
    const shuffled = Object.fromEntries(Object.entries(events[6]!).reverse()) as FarmEvent
    expect(formatEvent(shuffled, 'json')).toBe(formatEvent(events[6]!, 'json'))
  })

  it('is one of the two formats the CLI accepts', () => {
    expect(isLogFormat('json')).toBe(true)
    expect(isLogFormat('human')).toBe(true)
    expect(isLogFormat('yaml')).toBe(false)
  })
})

describe('the dashboard log pane', () => {
  it('shows the same words as the headless log', () => {
    expect(paneLine(events[7]!)).toEqual({
      ts,
      level: 'warn',
      text: '…x7Qe2a failed frame 37 of 3f9a2c1b7d0e (attempt 2): File: scene.pov  Line: 12 | Parse Error: Expected object',
    })
  })
})

describe('which events a log or the dashboard shows', () => {
  it('leaves debug lines out unless FARM_DEBUG is set', () => {
    const debug = { type: 'log' as const, ts, level: 'debug' as const, message: 'redial round 3' }
    const warn = { ...debug, level: 'warn' as const }
    const saved = process.env.FARM_DEBUG
    try {
      delete process.env.FARM_DEBUG
      expect([isShown(debug), isShown(warn)]).toEqual([false, true])
      process.env.FARM_DEBUG = '1'
      expect(isShown(debug)).toBe(true)
    } finally {
      if (saved === undefined) delete process.env.FARM_DEBUG
      else process.env.FARM_DEBUG = saved
    }
  })
})
