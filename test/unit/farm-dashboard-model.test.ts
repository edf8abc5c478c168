import { describe, expect, it } from 'vitest'
import { type DashboardModelInput, dashboardModel } from '../../src/farm/dashboard/dashboard-model.ts'
import { nextClaim } from '../../src/farm/schedule/scheduler.ts'
import type { FarmState, FrameRecord, JobBody, JobRecord } from '../../src/ledger/index.ts'
import { emptyFrame, emptyJob, emptyState, orderKey } from '../../src/ledger/state.ts'
import { FarmStateBuilder } from '../helpers/farm-state.ts'
import { jobBody } from './ledger-fixtures.ts'

const NOW = Date.UTC(2026, 10, 21, 5, 30, 0)
const ALPHA = '12D3KooWalpha'
const BETA = '12D3KooWbeta'
const GAMMA = '12D3KooWgamma'
const JOB = 'a'.repeat(64)
const OTHER = 'b'.repeat(64)

function node(name: string, owner: string, wupm: number) {
  return { name, owner, renderers: [], cores: 2, wupm, seq: 1, ts: NOW - 60_000 }
}

function spec(name: string, first: number, last: number, over: Partial<JobBody> = {}): JobBody {
  return jobBody(ALPHA, { name, frames: { first, last }, ...over })
}

function job(id: string, author: string, body: JobBody, lamport = 1): JobRecord {
  return { ...emptyJob(id), author, spec: body, seq: 1, lamport, ts: NOW - 50_000 }
}

function claimed(worker: string, expiresAt = NOW + 30_000): FrameRecord {
  return { ...emptyFrame(), claims: { [worker]: { lamport: 5, since: NOW - 10_000, seq: 3, expiresAt } } }
}

function rendered(worker: string, milliWU: number, verifiedBy?: string): FrameRecord {
  const frame: FrameRecord = {
    ...emptyFrame(),
    results: { [worker]: { file: 'd'.repeat(64), pixelHash: 'p', renderMs: 1200, wu: milliWU, ts: NOW } },
  }
  if (verifiedBy)
    frame.verdicts = { [`${verifiedBy} ${worker}`]: { by: verifiedBy, worker, ok: true, amount: 5 } }
  return frame
}

function failed(worker: string, attempt: number, error: string, lamport: number, failures = 1): FrameRecord {
  return {
    ...emptyFrame(),
    failures,
    failedBy: { [worker]: failures },
    lastError: { worker, attempt, error, key: orderKey(lamport, worker, 1) },
  }
}

/** Three nodes (alpha is this one, owned by alice), beta and gamma connected or not as asked. */
function swarm(): FarmState {
  const state = emptyState()
  state.clock = { [ALPHA]: 10, [BETA]: 7, [GAMMA]: 3 }
  state.nodes = {
    [ALPHA]: node('alpha', 'alice', 1.23),
    [BETA]: node('beta', 'bob', 0.87),
    [GAMMA]: node('gamma', 'carol', 0),
  }
  state.workers = {
    [ALPHA]: { frames: 340, wu: 40, renderMs: 1 },
    [BETA]: { frames: 38, wu: 4, renderMs: 1 },
  }
  state.balances = { [ALPHA]: 12_345, [BETA]: 500 }
  return state
}

function input(state: FarmState, over: Partial<DashboardModelInput> = {}): DashboardModelInput {
  return {
    state,
    self: { id: ALPHA, name: 'alpha', owner: 'alice' },
    swarmId: '3f9a2c1b',
    peers: [BETA],
    inSync: true,
    activity: { kind: 'idle' },
    paused: false,
    events: [],
    now: NOW,
    sessionFrames: {},
    ...over,
  }
}

describe('dashboardModel: the header and the workers', () => {
  it('shows an empty swarm as this node alone, with no jobs', () => {
    const model = dashboardModel(input(emptyState(), { peers: [] }))
    expect(model.header).toEqual({
      swarmId: '3f9a2c1b',
      nodeName: 'alpha',
      owner: 'alice',
      peers: 0,
      entries: 0,
      inSync: true,
      balance: 0,
      paused: false,
    })
    expect(model.workers).toEqual([
      {
        id: ALPHA,
        name: 'alpha',
        owner: 'alice',
        self: true,
        online: true,
        activity: { kind: 'idle' },
        wupm: null,
        framesSession: 0,
        framesTotal: 0,
        enabled: true,
      },
    ])
    expect(model.jobs).toEqual([])
    expect(model.detail).toBeNull()
  })

  it('counts entries, sums the balances of all the owner’s nodes, and lists workers self first, online next', () => {
    const state = swarm()
    state.nodes['12D3KooWalpha2'] = node('alpha-laptop', 'alice', 1)
    state.balances['12D3KooWalpha2'] = 1_000
    const model = dashboardModel(
      input(state, { paused: true, sessionFrames: { [ALPHA]: 41, [BETA]: 38 }, inSync: false }),
    )
    expect(model.header).toMatchObject({
      peers: 1,
      entries: 20,
      balance: 13_345,
      paused: true,
      inSync: false,
    })
    expect(
      model.workers.map((w) => [
        w.name,
        w.owner,
        w.online,
        w.wupm,
        w.framesSession,
        w.framesTotal,
        w.enabled,
      ]),
    ).toEqual([
      ['alpha', 'alice', true, 1.23, 41, 340, false],
      ['beta', 'bob', true, 0.87, 38, 38, true],
      ['alpha-laptop', 'alice', false, 1, 0, 0, true],
      ['gamma', 'carol', false, null, 0, 0, true],
    ])
  })

  it('tells what each worker does: this one from its own report, the others from their live claims', () => {
    const state = swarm()
    const spline = job(JOB, ALPHA, spec('spline', 1, 60))
    spline.frames = {
      '32': claimed(ALPHA),
      '33': claimed(BETA),
      '35': claimed(BETA),
      '40': claimed(GAMMA, NOW - 1),
    }
    state.jobs = { [JOB]: spline }
    const model = dashboardModel(
      input(state, { peers: [BETA, GAMMA], activity: { kind: 'rendering', job: JOB, frames: [32] } }),
    )
    expect(Object.fromEntries(model.workers.map((w) => [w.name, w.activity]))).toEqual({
      alpha: { kind: 'rendering', job: 'spline', frame: 32 },
      beta: { kind: 'rendering', job: 'spline', frame: 33 },
      gamma: { kind: 'idle' },
    })
    const fetching = dashboardModel(input(state, { activity: { kind: 'fetching', job: JOB } }))
    expect(fetching.workers[0]!.activity).toEqual({ kind: 'fetching', job: 'spline' })
  })

  it('shows the stitcher stitching once every frame of its job is verified', () => {
    const state = swarm()
    const spline = job(JOB, BETA, spec('spline', 1, 2, { stitcher: BETA }))
    spline.frames = { '1': rendered(ALPHA, 100, BETA), '2': rendered(ALPHA, 100, BETA) }
    state.jobs = { [JOB]: spline }
    const model = dashboardModel(input(state))
    expect(model.workers.find((w) => w.name === 'beta')!.activity).toEqual({
      kind: 'stitching',
      job: 'spline',
    })
    expect(model.jobs[0]).toMatchObject({ state: 'stitching', verified: 2, etaMs: null })
  })
})

describe('dashboardModel: jobs', () => {
  it('lists jobs in queue order then settled ones, with progress, ownership and acceptance', () => {
    const state = swarm()
    const spline = job(JOB, ALPHA, spec('spline', 1, 60, { pricePerWU: 50 }))
    spline.frames = { '1': rendered(ALPHA, 200, ALPHA), '2': rendered(BETA, 200), '3': claimed(BETA) }
    const spinner = job(OTHER, BETA, spec('spinner', 1, 48, { renderer: 'blender', pricePerWU: 200 }))
    const old = job('e'.repeat(64), ALPHA, spec('old', 1, 10))
    old.settled = 'stitched'
    state.jobs = { [JOB]: spline, [OTHER]: spinner, [old.id]: old }
    const rows = dashboardModel(input(state)).jobs
    expect(rows.map((r) => [r.name, r.owner, r.own, r.accepted, r.renderer, r.state])).toEqual([
      ['spinner', 'bob', false, false, 'blender', 'queued'],
      ['spline', 'alice', true, true, 'povray', 'rendering'],
      ['old', 'alice', true, true, 'povray', 'done'],
    ])
    expect(rows[1]).toMatchObject({ frames: 60, verified: 1, rendering: 1, failed: 0 })
    expect(rows[0]!.etaMs).toBeNull()
    expect(rows[2]!.etaMs).toBeNull()
  })

  it('lists jobs in the order the worker serves them, a job whose payer cannot pay last', () => {
    const b = new FarmStateBuilder()
    b.grant(ALPHA, 1_000).node(ALPHA, { owner: 'alice' }).node(BETA, { owner: 'bob' })
    // Bob offers more per WU than alice, but holds no credits to pay even one WU with.
    b.job('broke', { author: BETA, pricePerWU: 500, frameCount: 2, accepted: [ALPHA] })
    b.job('paid', { author: ALPHA, pricePerWU: 100, frameCount: 2, accepted: [ALPHA] })
    const shown = dashboardModel(input(b.state, { peers: [] })).jobs.map((row) => row.name)
    const served: string[] = []
    for (let choice = nextClaim({ state: b.state, now: NOW, live: new Set([ALPHA]) }, ALPHA); choice; ) {
      if (!served.includes(choice.job)) served.push(choice.job)
      b.claim(choice.job, ALPHA, [choice.frame], { ts: NOW })
      choice = nextClaim({ state: b.state, now: NOW, live: new Set([ALPHA]) }, ALPHA)
    }
    expect(shown).toEqual(['paid', 'broke'])
    expect(served).toEqual(shown)
  })

  it('takes a job of another owner as accepted after `a`, or by the accept policy', () => {
    const state = swarm()
    state.jobs = { [OTHER]: job(OTHER, BETA, spec('spinner', 1, 48)) }
    expect(dashboardModel(input(state, { accept: ['bob'] })).jobs[0]!.accepted).toBe(true)
    expect(dashboardModel(input(state, { accept: 'all' })).jobs[0]!.accepted).toBe(true)
    expect(dashboardModel(input(state, { accept: ['carol'] })).jobs[0]!.accepted).toBe(false)
    state.jobs[OTHER]!.accepted = { [ALPHA]: NOW }
    expect(dashboardModel(input(state)).jobs[0]!.accepted).toBe(true)
  })

  it('counts as own only the jobs this node submitted: only those can it cancel', () => {
    const state = swarm()
    state.nodes['12D3KooWalpha2'] = node('alpha-laptop', 'alice', 1)
    state.jobs = { [OTHER]: job(OTHER, '12D3KooWalpha2', spec('laptop-job', 1, 4)) }
    expect(dashboardModel(input(state)).jobs[0]).toMatchObject({
      owner: 'alice',
      own: false,
      accepted: false,
    })
  })

  it('estimates the ETA from the frames’ WU and the WUPM of the workers holding frames', () => {
    const state = swarm()
    const spline = job(JOB, ALPHA, spec('spline', 1, 10))
    // 2 frames done at 0.5 WU each: 8 left, 4 WU, over alpha (1.23) + beta (0.87) = 2.1 WUPM.
    spline.frames = {
      '1': rendered(ALPHA, 500),
      '10': rendered(BETA, 500),
      '2': claimed(ALPHA),
      '3': claimed(BETA),
    }
    state.jobs = { [JOB]: spline }
    expect(dashboardModel(input(state)).jobs[0]!.etaMs).toBeCloseTo((4 / 2.1) * 60_000, 0)
    // Between claims, the connected workers that rendered it carry on: beta alone is connected.
    spline.frames = { '1': rendered(ALPHA, 500), '10': rendered(GAMMA, 500) }
    expect(dashboardModel(input(state)).jobs[0]!.etaMs).toBeCloseTo((4 / 1.23) * 60_000, 0)
  })
})

describe('dashboardModel: the selected job and the log', () => {
  it('gives every frame’s state, its WU and the last errors, oldest first', () => {
    const state = swarm()
    const spline = job(JOB, ALPHA, spec('spline', 1, 6, { attempts: 2 }))
    spline.frames = {
      '1': rendered(BETA, 310, ALPHA),
      '2': rendered(ALPHA, 160),
      '3': claimed(BETA),
      '4': failed(BETA, 1, 'Parse Error: Expected object', 9),
      '5': failed(ALPHA, 2, 'Out of memory\nsecond line', 12, 2),
    }
    state.jobs = { [JOB]: spline }
    const model = dashboardModel(input(state, { selectedJob: JOB }))
    expect(model.detail).toEqual({
      jobId: JOB,
      firstFrame: 1,
      frames: ['verified', 'rendered', 'claimed', 'waiting', 'failed', 'waiting'],
      wu: [0.31, 0.16, null, null, null, null],
      errors: [
        { frame: 4, worker: 'beta', attempt: 1, message: 'Parse Error: Expected object' },
        { frame: 5, worker: 'alpha', attempt: 2, message: 'Out of memory\nsecond line' },
      ],
    })
    expect(model.jobs[0]!.failed).toBe(1)
    expect(dashboardModel(input(state, { selectedJob: JOB, maxErrors: 1 })).detail!.errors).toHaveLength(1)
  })

  it('shows the first job when the selected one is gone', () => {
    const state = swarm()
    state.jobs = { [JOB]: job(JOB, ALPHA, spec('spline', 1, 3)) }
    expect(dashboardModel(input(state, { selectedJob: OTHER })).detail?.jobId).toBe(JOB)
  })

  it('builds a 10,000-frame job’s strip with one state per frame', () => {
    const state = swarm()
    const big = job(JOB, ALPHA, spec('big', 1, 10_000))
    big.frames = { '5000': claimed(BETA), '10000': rendered(ALPHA, 100, ALPHA) }
    state.jobs = { [JOB]: big }
    const detail = dashboardModel(input(state)).detail!
    expect(detail.frames).toHaveLength(10_000)
    expect(detail.frames[4999]).toBe('claimed')
    expect(detail.frames[9999]).toBe('verified')
    expect(detail.frames.filter((f) => f === 'waiting')).toHaveLength(9_998)
  })

  it('turns events into the log pane’s lines, in the headless log’s words, leaving out routine gossip', () => {
    const model = dashboardModel(
      input(emptyState(), {
        events: [
          { type: 'peer:joined', ts: NOW, peer: BETA, peerName: 'beta' },
          { type: 'entries:synced', ts: NOW, peer: BETA, peerName: 'beta', accepted: 1, total: 20 },
          { type: 'entries:synced', ts: NOW, peer: BETA, peerName: 'beta', accepted: 500, total: 520 },
          {
            type: 'frame:failed',
            ts: NOW + 1000,
            job: JOB,
            jobName: 'spline',
            frame: 34,
            node: BETA,
            nodeName: 'beta',
            attempt: 1,
            error: 'Parse Error',
          },
        ],
      }),
    )
    expect(model.log).toEqual([
      { ts: NOW, level: 'info', text: 'peer beta joined' },
      { ts: NOW, level: 'info', text: 'synced 500 entries from beta (520 held)' },
      { ts: NOW + 1000, level: 'warn', text: 'beta failed frame 34 of spline (attempt 1): Parse Error' },
    ])
  })
})
