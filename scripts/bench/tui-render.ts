// How much a dashboard update costs, and how often the dashboard draws under a flood of model
// changes. Needs the build (`npm run build`): Node cannot load the .tsx components by itself.
//
//   NODE_ENV=production node_modules/.bin/node scripts/bench/tui-render.ts
//
// NODE_ENV=production because React's development build costs several times more per update,
// and that is not what `farm join` should run.
//
// Baseline: an update of the dashboard of an empty swarm, measured in the same run.
import { EventEmitter } from 'node:events'
import { render } from 'ink'
import { createElement } from 'react'
import type { DashboardModel, FrameState } from '../../src/tui/index.ts'

const dist = (path: string) => new URL(`../../dist/tui/${path}`, import.meta.url).href
const tui = (await import(dist('index.js'))) as typeof import('../../src/tui/index.ts')
const { groupFrames } = (await import(
  dist('frame-strip.js')
)) as typeof import('../../src/tui/frame-strip.ts')

class FakeTerminal extends EventEmitter {
  readonly isTTY = true
  columns = 80
  rows = 24
  /** Whole screens drawn: each holds the header line once. */
  screens = 0
  write(data: string, ...rest: unknown[]): boolean {
    if (data.includes('farm ab12cd34')) this.screens++
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined
    if (done) queueMicrotask(done)
    return true
  }
}

const noop = () => {}
const actions = { onSelect: noop, onOpen: noop, onAccept: noop, onPause: noop, onCancel: noop, onQuit: noop }

function model(workers: number, frames: number, verified: number): DashboardModel {
  const states: FrameState[] = Array.from({ length: frames }, (_, i) =>
    i < verified ? 'verified' : i < verified + workers ? 'claimed' : 'waiting',
  )
  return {
    header: {
      swarmId: 'ab12cd34',
      nodeName: 'w0',
      owner: 'alice',
      peers: workers - 1,
      entries: verified * 3,
      inSync: true,
      balance: verified * 50,
      paused: false,
    },
    workers: Array.from({ length: workers }, (_, i) => ({
      id: `peer${i}`,
      name: `w${i}`,
      owner: 'bob',
      self: i === 0,
      online: true,
      activity: { kind: 'rendering' as const, job: 'huge', frame: verified + i + 1 },
      wupm: 1 + i / 10,
      framesSession: i,
      framesTotal: i * 10,
      enabled: true,
    })),
    jobs:
      frames === 0
        ? []
        : Array.from({ length: 20 }, (_, j) => ({
            id: `job${j}`,
            name: `job${j}`,
            owner: 'alice',
            own: true,
            accepted: true,
            renderer: 'povray',
            frames,
            verified: j === 0 ? verified : 0,
            rendering: j === 0 ? workers : 0,
            failed: 0,
            etaMs: 60_000,
            state: j === 0 ? ('rendering' as const) : ('queued' as const),
          })),
    detail:
      frames === 0
        ? null
        : {
            jobId: 'job0',
            firstFrame: 1,
            frames: states,
            wu: states.map((s, i) => (s === 'verified' ? 0.1 + (i % 7) / 100 : null)),
            errors: [],
          },
    log: Array.from({ length: 200 }, (_, i) => ({
      ts: 0,
      level: 'info' as const,
      text: `w${i % workers} rendered frame ${i}`,
    })),
  }
}

/** Milliseconds per update of a mounted dashboard, each update a new model as the farm would send. */
function updateCost(makeModel: (step: number) => DashboardModel, updates: number): number {
  const stdout = new FakeTerminal()
  const element = (m: DashboardModel) =>
    createElement(tui.Dashboard, { model: m, actions, columns: 80, rows: 24 })
  const instance = render(element(makeModel(0)), {
    stdout: stdout as unknown as NodeJS.WritableStream,
    stdin: new FakeTerminal() as unknown as NodeJS.ReadableStream,
    debug: true,
    patchConsole: false,
  })
  const models = Array.from({ length: updates }, (_, i) => makeModel(i + 1))
  // Warm up the JIT on the first tenth, time the rest.
  for (const m of models.slice(0, updates / 10)) instance.rerender(element(m))
  const start = performance.now()
  for (const m of models) instance.rerender(element(m))
  const ms = (performance.now() - start) / updates
  instance.unmount()
  return ms
}

const UPDATES = 200
const empty = updateCost(() => model(1, 0, 0), UPDATES)
const crowded = updateCost((step) => model(50, 10_000, 5000 + step), UPDATES)
console.log(`update, empty swarm:                      ${empty.toFixed(2)} ms`)
console.log(
  `update, 50 workers, 20 jobs, 10,000 frames: ${crowded.toFixed(2)} ms (${(crowded / empty).toFixed(1)}x)`,
)

const strip = (() => {
  const frames = model(50, 10_000, 5000).detail!.frames
  const start = performance.now()
  for (let i = 0; i < 1000; i++) groupFrames(frames, 80)
  return ((performance.now() - start) / 1000) * 1000
})()
console.log(`grouping 10,000 frames into 80 cells:        ${strip.toFixed(1)} µs`)

// A flood: model changes as fast as the event loop allows for two seconds, far more than a busy
// swarm's ledger causes; the dashboard should still draw about four screens a second.
const stdout = new FakeTerminal()
const store = tui.createModelStore(model(50, 10_000, 0))
const handle = tui.mountDashboard(store, actions, {
  stdout: stdout as unknown as NodeJS.WritableStream,
  stdin: new FakeTerminal() as unknown as NodeJS.ReadableStream,
  stderr: new FakeTerminal() as unknown as NodeJS.WritableStream,
  patchConsole: false,
  alternateScreen: false,
})
const models = Array.from({ length: 100 }, (_, i) => model(50, 10_000, i * 50))
await new Promise((resolve) => setTimeout(resolve, 100))
const screensBefore = stdout.screens
const floodStart = performance.now()
let changes = 0
while (performance.now() - floodStart < 2000) {
  for (let i = 0; i < 10; i++) store.set(models[changes++ % models.length]!)
  await new Promise((resolve) => setImmediate(resolve))
}
const seconds = (performance.now() - floodStart) / 1000
const draws = stdout.screens - screensBefore
handle.unmount()
await handle.waitUntilExit()
console.log(
  `flood: ${changes} model changes in ${seconds.toFixed(1)} s -> ${draws} screens drawn (${(draws / seconds).toFixed(1)}/s)`,
)
console.log(
  `tui-render update_empty_ms=${empty.toFixed(2)} update_crowded_ms=${crowded.toFixed(2)} ratio=${(crowded / empty).toFixed(1)} flood_changes_per_s=${(changes / seconds).toFixed(0)} screens_per_s=${(draws / seconds).toFixed(1)} strip_us=${strip.toFixed(1)}`,
)
