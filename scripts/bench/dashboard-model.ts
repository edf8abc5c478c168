// How long building the dashboard's model takes from the ledger's state, for the swarm of the
// issue: 50 workers, 20 jobs, one of them 10,000 frames half done. The dashboard builds it at
// most four times a second, so this is the farm side's share of "stays responsive".
//
//   node_modules/.bin/node scripts/bench/dashboard-model.ts
//
// Baseline, measured in the same run: one jobProgress over the big job, the least any view of
// its progress must read.
import { dashboardModel } from '../../src/farm/dashboard/dashboard-model.ts'
import { type FarmState, type JobBody, type JobRecord, jobProgress } from '../../src/ledger/index.ts'
import { emptyFrame, emptyJob, emptyState } from '../../src/ledger/state.ts'

const WORKERS = 50
const JOBS = 20
const BIG = 10_000
const now = Date.now()
const peer = (i: number) => `12D3KooWbench${String(i).padStart(4, '0')}`

function spec(name: string, frames: number): JobBody {
  return {
    name,
    scene: 'c'.repeat(64),
    sceneFile: 'scene.pov',
    renderer: 'povray',
    frames: { first: 1, last: frames },
    size: { width: 640, height: 480 },
    fps: 24,
    pricePerWU: 1000,
    stitcher: peer(0),
    attempts: 3,
    failFast: false,
  }
}

/** A job with `done` frames rendered and verified, one frame being rendered per worker, a few failures. */
function job(id: string, name: string, frames: number, done: number): JobRecord {
  const record: JobRecord = {
    ...emptyJob(id),
    author: peer(0),
    spec: spec(name, frames),
    seq: 1,
    lamport: 1,
    ts: now,
  }
  for (let n = 1; n <= done; n++) {
    const worker = peer(n % WORKERS)
    record.frames[String(n)] = {
      ...emptyFrame(),
      results: {
        [worker]: { file: 'd'.repeat(64), pixelHash: 'p', renderMs: 1200, wu: 20 + (n % 7), ts: now },
      },
      verdicts: { [`${peer(0)} ${worker}`]: { by: peer(0), worker, ok: true, amount: 20 } },
      paid: { worker, amount: 20 },
    }
  }
  for (let w = 0; w < WORKERS && done + w + 1 <= frames; w++) {
    record.frames[String(done + w + 1)] = {
      ...emptyFrame(),
      claims: { [peer(w)]: { lamport: 9, since: now - 30_000, seq: 5, expiresAt: now + 60_000 } },
    }
  }
  for (let n = done + WORKERS + 1; n <= Math.min(frames, done + WORKERS + 5); n++) {
    record.frames[String(n)] = {
      ...emptyFrame(),
      failures: 1,
      lastError: { worker: peer(1), attempt: 1, error: 'Parse Error: Expected object', key: String(n) },
    }
  }
  return record
}

const state: FarmState = emptyState()
for (let i = 0; i < WORKERS; i++) {
  state.nodes[peer(i)] = {
    name: `w${i}`,
    owner: `owner${i % 5}`,
    renderers: [],
    cores: 2,
    wupm: 1 + i / 10,
    seq: 1,
    ts: now,
  }
  state.clock[peer(i)] = 1000
  state.balances[peer(i)] = 10_000
  state.workers[peer(i)] = { frames: 100, wu: 5, renderMs: 120_000 }
}
const big = 'b'.repeat(64)
state.jobs[big] = job(big, 'huge', BIG, BIG / 2)
for (let j = 1; j < JOBS; j++) {
  const id = String(j).padStart(64, '0')
  state.jobs[id] = job(id, `job${j}`, 240, j * 10)
}

const input = {
  state,
  self: { id: peer(0), name: 'w0', owner: 'owner0' },
  swarmId: 'ab12cd34',
  peers: Array.from({ length: WORKERS - 1 }, (_, i) => peer(i + 1)),
  inSync: true,
  activity: { kind: 'rendering' as const, job: big, frames: [BIG / 2 + 1] },
  paused: false,
  accept: 'all' as const,
  events: [],
  selectedJob: big,
  now,
  sessionFrames: {},
}

/** Median ms of `runs` calls, after a warm-up. */
function median(fn: () => unknown, runs: number): number {
  for (let i = 0; i < 5; i++) fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

const baseline = median(() => jobProgress(state.jobs[big]!, now), 50)
const build = median(() => dashboardModel(input), 50)
const model = dashboardModel(input)
console.log(`swarm: ${WORKERS} workers, ${JOBS} jobs, selected job of ${BIG} frames (${BIG / 2} verified)`)
console.log(
  `model: ${model.workers.length} worker rows, ${model.jobs.length} job rows, ${model.detail?.frames.length} frame cells`,
)
console.log(`baseline jobProgress(big job): ${baseline.toFixed(2)} ms`)
console.log(`dashboardModel: ${build.toFixed(2)} ms, ${(build / baseline).toFixed(1)}x baseline`)
console.log(`at 4 builds a second: ${((build * 4) / 10).toFixed(1)} % of one core`)
console.log(
  `model_ms=${build.toFixed(2)} baseline_ms=${baseline.toFixed(2)} ratio=${(build / baseline).toFixed(1)} core_pct_at_4hz=${((build * 4) / 10).toFixed(1)}`,
)
