// The dashboard on a simulated swarm, with no farm behind it: three workers render a 240-frame
// job, and the keys act on the simulation. For working on src/tui and for the terminal test.
// Needs the build (`npm run build`): Node cannot load the .tsx components by itself.
//
//   NODE_ENV=production node_modules/.bin/node scripts/tui-preview.ts [--frames N] [--workers N]
//
// Exits 0 after q or Ctrl+C.
import { parseArgs } from 'node:util'
import type { DashboardModel, FrameState, JobRow, WorkerRow } from '../src/tui/index.ts'

const tui = (await import(
  new URL('../dist/tui/index.js', import.meta.url).href
)) as typeof import('../src/tui/index.ts')

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '240' },
    workers: { type: 'string', default: '3' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  process.stdout.write('Usage: node scripts/tui-preview.ts [--frames N] [--workers N]   (q quits)\n')
  process.exit(0)
}
const frameCount = Number(values.frames)
const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta']
const workerCount = Number(values.workers)

const frames: FrameState[] = Array.from({ length: frameCount }, () => 'waiting')
const wu: (number | null)[] = frames.map(() => null)
const workers: WorkerRow[] = Array.from({ length: workerCount }, (_, i) => ({
  id: `12D3KooWpreview${i}`,
  name: names[i % names.length]! + (i >= names.length ? String(i) : ''),
  owner: i === 0 ? 'alice' : 'bob',
  self: i === 0,
  online: true,
  activity: { kind: 'idle' },
  wupm: 0.8 + ((i * 37) % 10) / 10,
  framesSession: 0,
  framesTotal: 100 * i,
  enabled: true,
}))
const jobs: JobRow[] = [
  {
    id: 'job-spline',
    name: 'spline',
    owner: 'alice',
    own: true,
    accepted: true,
    renderer: 'povray',
    frames: frameCount,
    verified: 0,
    rendering: 0,
    failed: 0,
    etaMs: null,
    state: 'rendering',
  },
  {
    id: 'job-spinner',
    name: 'spinner',
    owner: 'bob',
    own: false,
    accepted: false,
    renderer: 'blender',
    frames: 48,
    verified: 0,
    rendering: 0,
    failed: 0,
    etaMs: null,
    state: 'queued',
  },
]
let model: DashboardModel = {
  header: {
    swarmId: '3f9a2c1b7d0e',
    nodeName: 'alpha',
    owner: 'alice',
    peers: workerCount - 1,
    entries: 3,
    inSync: true,
    balance: 10_000,
    paused: false,
  },
  workers,
  jobs,
  detail: null,
  log: [{ ts: Date.now(), level: 'info', text: 'preview: a simulated swarm, nothing is rendered' }],
}
const store = tui.createModelStore(model)
let selected = 'job-spline'

function publish(change: Partial<DashboardModel>) {
  model = { ...model, ...change }
  const detail =
    selected === 'job-spline'
      ? { jobId: selected, firstFrame: 1, frames: [...frames], wu: [...wu], errors }
      : null
  store.set({ ...model, detail })
}

function log(text: string, level: 'info' | 'warn' = 'info') {
  model = { ...model, log: [...model.log.slice(-99), { ts: Date.now(), level, text }] }
}

const errors: { frame: number; worker: string; attempt: number; message: string }[] = []
let next = 0
const tick = setInterval(() => {
  const job = model.jobs[0]!
  const rows = model.workers.map((w) => {
    if (!w.enabled || next >= frameCount) return { ...w, activity: { kind: 'idle' as const } }
    const frame = next++
    if (frame === 7 && errors.length === 0) {
      frames[frame] = 'failed'
      errors.push({ frame: frame + 1, worker: w.name, attempt: 1, message: 'Parse Error: Expected object' })
      log(`${w.name} failed frame ${frame + 1} of spline (attempt 1): Parse Error`, 'warn')
      return w
    }
    frames[frame] = 'verified'
    wu[frame] = 0.02 + Math.abs(Math.sin(frame / 9)) / 20
    log(`${w.name} rendered frame ${frame + 1} of spline`)
    return {
      ...w,
      activity: { kind: 'rendering' as const, job: 'spline', frame: frame + 2 },
      framesSession: w.framesSession + 1,
    }
  })
  for (let i = next; i < Math.min(frameCount, next + rows.length); i++) frames[i] = 'claimed'
  const verified = frames.filter((f) => f === 'verified').length
  const done = next >= frameCount
  publish({
    workers: rows,
    jobs: [
      {
        ...job,
        verified,
        failed: errors.length,
        rendering: done ? 0 : rows.filter((w) => w.enabled).length,
        etaMs: done ? 0 : ((frameCount - next) / rows.length) * 250,
        state: job.state === 'cancelled' ? 'cancelled' : done ? 'done' : 'rendering',
      },
      ...model.jobs.slice(1),
    ],
    header: {
      ...model.header,
      entries: model.header.entries + rows.length,
      balance: model.header.balance - 50,
    },
  })
}, 250)

const handle = tui.mountDashboard(store, {
  onSelect(jobId) {
    selected = jobId
    publish({})
  },
  onAccept(jobId) {
    publish({ jobs: model.jobs.map((j) => (j.id === jobId ? { ...j, accepted: true } : j)) })
  },
  onPause() {
    const paused = !model.header.paused
    publish({
      header: { ...model.header, paused },
      workers: model.workers.map((w) => (w.self ? { ...w, enabled: !paused } : w)),
    })
  },
  onCancel(jobId) {
    next = frameCount
    publish({ jobs: model.jobs.map((j) => (j.id === jobId ? { ...j, state: 'cancelled' } : j)) })
  },
  onQuit() {
    clearInterval(tick)
  },
})
process.once('SIGINT', () => handle.unmount())
await handle.waitUntilExit()
clearInterval(tick)
process.stdout.write('preview: quit\n')
