import type { DashboardActions, DashboardModel, FrameState, JobRow, WorkerRow } from '../../src/tui/index.ts'

/** 2026-11-21 05:30:00 UTC: log times read 05:30:xx when tests run with TZ=UTC. */
export const T0 = Date.UTC(2026, 10, 21, 5, 30, 0)

export function emptyModel(): DashboardModel {
  return {
    header: {
      swarmId: '3f9a2c1b7d0e4f5a',
      nodeName: 'alpha',
      owner: 'alice',
      peers: 0,
      entries: 1,
      inSync: true,
      balance: 0,
      paused: false,
    },
    workers: [],
    jobs: [],
    detail: null,
    log: [{ ts: T0, level: 'info', text: 'listening on /ip4/127.0.0.1/tcp/4001' }],
  }
}

export function worker(name: string, owner: string, fields: Partial<WorkerRow> = {}): WorkerRow {
  return {
    id: `12D3KooW${name}`,
    name,
    owner,
    self: false,
    online: true,
    activity: { kind: 'idle' },
    wupm: 1,
    framesSession: 0,
    framesTotal: 0,
    enabled: true,
    ...fields,
  }
}

export function job(name: string, owner: string, fields: Partial<JobRow> = {}): JobRow {
  return {
    id: `job-${name}`,
    name,
    owner,
    own: owner === 'alice',
    accepted: owner === 'alice',
    renderer: 'povray',
    frames: 240,
    verified: 0,
    rendering: 0,
    failed: 0,
    etaMs: null,
    state: 'queued',
    ...fields,
  }
}

export const threeWorkers: WorkerRow[] = [
  worker('alpha', 'alice', {
    self: true,
    activity: { kind: 'rendering', job: 'spline', frame: 32 },
    wupm: 1.23,
    framesSession: 41,
    framesTotal: 340,
  }),
  worker('beta', 'bob', {
    activity: { kind: 'rendering', job: 'spline', frame: 33 },
    wupm: 0.87,
    framesSession: 38,
    framesTotal: 38,
  }),
  worker('gamma', 'carol', { wupm: 2.5, framesSession: 41, framesTotal: 1200, enabled: false }),
]

/**
 * A 60-frame job, one terminal cell per frame at 80 columns: 1-30 verified, 31 rendered and
 * awaiting its check, 32-33 being rendered, 34 failed, the rest waiting.
 */
export function halfDoneFrames(): { frames: FrameState[]; wu: (number | null)[] } {
  const frames: FrameState[] = []
  const wu: (number | null)[] = []
  for (let i = 1; i <= 60; i++) {
    frames.push(
      i <= 30 ? 'verified' : i === 31 ? 'rendered' : i <= 33 ? 'claimed' : i === 34 ? 'failed' : 'waiting',
    )
    wu.push(i <= 31 ? i / 100 : null)
  }
  return { frames, wu }
}

export function halfDoneModel(): DashboardModel {
  const { frames, wu } = halfDoneFrames()
  return {
    ...emptyModel(),
    header: { ...emptyModel().header, peers: 2, entries: 1204, inSync: false, balance: 12345 },
    workers: threeWorkers,
    jobs: [
      job('spline', 'alice', {
        frames: 60,
        verified: 30,
        rendering: 2,
        failed: 1,
        etaMs: 250_000,
        state: 'rendering',
      }),
      job('spinner', 'bob', { renderer: 'blender', frames: 48 }),
    ],
    detail: {
      jobId: 'job-spline',
      firstFrame: 1,
      frames,
      wu,
      errors: [
        {
          frame: 34,
          worker: 'beta',
          attempt: 1,
          message: 'File: scene.pov Line: 12 Parse Error: Expected object, undeclared identifier found',
        },
      ],
    },
    log: [
      { ts: T0 + 1000, level: 'info', text: 'peer beta joined via /ip4/127.0.0.1/tcp/4002' },
      { ts: T0 + 2000, level: 'info', text: 'alice submitted job spline: povray, frames 1-60' },
      { ts: T0 + 3000, level: 'warn', text: 'beta failed frame 34 of spline (attempt 1): Parse Error' },
      { ts: T0 + 4000, level: 'info', text: 'alpha rendered frame 31 of spline in 1.20 s (0.310 WU)' },
    ],
  }
}

/** Records what the keys asked for. */
export function recordingActions() {
  const calls: string[] = []
  const actions: DashboardActions = {
    onSelect: (id) => calls.push(`select ${id}`),
    onOpen: (id) => calls.push(`open ${id}`),
    onAccept: (id) => {
      calls.push(`accept ${id}`)
    },
    onPause: () => {
      calls.push('pause')
    },
    onCancel: (id) => {
      calls.push(`cancel ${id}`)
    },
    onQuit: () => calls.push('quit'),
  }
  return { calls, actions }
}
