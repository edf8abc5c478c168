/**
 * Scale simulation of the farm's scheduling: many nodes in one process on a simulated clock,
 * each deciding with the very scheduler the real worker uses (src/farm/scheduler.ts) over its
 * own view of the ledger. Claims and results reach the other nodes after a random gossip
 * delay, so two nodes can claim the same frame; the later claim loses and its worker stops.
 *
 * Prints makespan / ideal, where ideal = total work / total speed + the longest frame on the
 * fastest node, and the fraction of frames rendered twice. Goals: <= 1.10 and <= 2 %.
 *
 * With --kill K, K nodes die at --kill-at-ms (mid-render, without a word); the others see them
 * gone --detect-ms later, and their frames come back when their leases (renewed every third of
 * --lease-ms while rendering) run out: the video must still be complete.
 *
 * Usage: node scripts/bench/scale-sim.ts [--nodes 40] [--frames 2000] [--seed 1] [--gossip-ms 50-500]
 *          [--lease-ms 120000] [--kill 0] [--kill-at-ms 40000] [--detect-ms 10000]
 */
import { parseArgs } from 'node:util'
import { frameMilliWU } from '../../src/farm/schedule/estimate.ts'
import { nextClaim, shouldAbandon } from '../../src/farm/schedule/scheduler.ts'
import type { Claim, JobState, WorkerState } from '../../src/farm/schedule/work-view.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '40' },
    frames: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    'gossip-ms': { type: 'string', default: '50-500' },
    'lease-ms': { type: 'string', default: '120000' },
    kill: { type: 'string', default: '0' },
    'kill-at-ms': { type: 'string', default: '40000' },
    'detect-ms': { type: 'string', default: '10000' },
  },
})
const NODES = Number(values.nodes)
const FRAMES = Number(values.frames)
const [GOSSIP_MIN, GOSSIP_MAX] = values['gossip-ms'].split('-').map(Number) as [number, number]
const LEASE_MS = Number(values['lease-ms'])
const KILL = Number(values.kill)
const KILL_AT_MS = Number(values['kill-at-ms'])
const DETECT_MS = Number(values['detect-ms'])
const POLL_MS = 1_000
const JOB = 'job-scale-sim'

function mulberry32(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = mulberry32(Number(values.seed))

// Frame cost at 1x (ms): a slow swell along the timeline (a scene getting busier, then calmer)
// plus a per-frame jitter, from about 2 s to 16 s.
const frameCost = Array.from({ length: FRAMES }, (_, f) => {
  const swell = 7 + 4 * Math.sin((2 * Math.PI * f) / 700) + (3 * f) / FRAMES
  return Math.round(1000 * swell * (0.8 + 0.4 * random()))
})
const speeds = Array.from({ length: NODES }, (_, k) => 1 + (7 * k) / Math.max(1, NODES - 1))
const workers: WorkerState[] = speeds.map((wupm, k) => ({
  id: `node-${String(k).padStart(2, '0')}`,
  renderers: ['povray'],
  wupm,
  live: true,
}))

type Entry =
  | { kind: 'claim'; frame: number; claim: Claim }
  | { kind: 'rendered'; frame: number; worker: string; lamport: number; milliWU: number }

/** A node's own copy of the job, which gossip mutates in place. */
interface SimFrame {
  frame: number
  done: boolean
  milliWU?: number
  claims: Claim[]
  failedBy: string[]
}
type SimJob = JobState & { frames: SimFrame[] }

interface SimNode {
  index: number
  id: string
  speed: number
  lamport: number
  job: SimJob
  /** Who this node believes is live: it learns of a death only after DETECT_MS. */
  workers: WorkerState[]
  rendering: { frame: number; token: number; startedAt: number } | undefined
  wakeAt: number
  dead: boolean
}

function freshJob(): SimJob {
  const frames: SimFrame[] = frameCost.map((_, f) => ({
    frame: f + 1,
    done: false,
    claims: [],
    failedBy: [],
  }))
  return {
    id: JOB,
    renderer: 'povray',
    status: 'active',
    pricePerWU: 1000,
    ownerBalance: 1e12,
    createdAt: 0,
    attempts: 3,
    accepted: workers.map((w) => w.id),
    first: 1,
    last: FRAMES,
    frames,
  }
}

const nodes: SimNode[] = workers.map((w, index) => ({
  index,
  id: w.id,
  speed: speeds[index]!,
  lamport: 0,
  job: freshJob(),
  workers: workers.map((w) => ({ ...w })),
  rendering: undefined,
  wakeAt: Number.POSITIVE_INFINITY,
  dead: false,
}))

// The event queue: a binary heap on (time, sequence) so equal times keep their order.
type SimEvent =
  | { type: 'deliver'; node: number; entry: Entry }
  | { type: 'done'; node: number; token: number }
  | { type: 'wake'; node: number }
  | { type: 'renew'; node: number; token: number }
  | { type: 'kill'; node: number }
  | { type: 'seen-dead'; node: number; dead: string }
const heap: { time: number; seq: number; event: SimEvent }[] = []
let seq = 0
function schedule(time: number, event: SimEvent) {
  heap.push({ time, seq: seq++, event })
  let i = heap.length - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (before(heap[parent]!, heap[i]!)) break
    ;[heap[parent], heap[i]] = [heap[i]!, heap[parent]!]
    i = parent
  }
}
function before(a: { time: number; seq: number }, b: { time: number; seq: number }) {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}
function pop() {
  const top = heap[0]!
  const last = heap.pop()!
  if (heap.length > 0) {
    heap[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r
      if (m === i) break
      ;[heap[m], heap[i]] = [heap[i]!, heap[m]!]
      i = m
    }
  }
  return top
}

let now = 0
let token = 0
let firstDone = 0
let makespan = 0
let schedulerCalls = 0
let schedulerMs = 0
let wastedMs = 0
let stolen = 0
const renders = new Uint16Array(FRAMES)

function apply(node: SimNode, entry: Entry) {
  const frame = node.job.frames[entry.frame - 1]!
  node.lamport = Math.max(node.lamport, entry.kind === 'claim' ? entry.claim.lamport : entry.lamport)
  if (entry.kind === 'claim') frame.claims.push(entry.claim)
  else {
    frame.done = true
    frame.milliWU = entry.milliWU
  }
}

function publish(node: SimNode, entry: Entry) {
  apply(node, entry)
  for (const other of nodes) {
    if (other === node) continue
    schedule(now + GOSSIP_MIN + random() * (GOSSIP_MAX - GOSSIP_MIN), {
      type: 'deliver',
      node: other.index,
      entry,
    })
  }
}

function wake(node: SimNode, at: number) {
  if (at >= node.wakeAt) return
  node.wakeAt = at
  schedule(at, { type: 'wake', node: node.index })
}

function tryClaim(node: SimNode) {
  node.wakeAt = Number.POSITIVE_INFINITY
  if (node.rendering || firstDone === FRAMES) return
  const started = performance.now()
  const choice = nextClaim({ now, jobs: [node.job], workers: node.workers }, node.id)
  schedulerMs += performance.now() - started
  schedulerCalls++
  if (!choice) {
    wake(node, now + POLL_MS)
    return
  }
  if (choice.reason === 'stolen') stolen++
  publish(node, claimFor(node, choice.frame, LEASE_MS))
  node.rendering = { frame: choice.frame, token: ++token, startedAt: now }
  schedule(now + frameCost[choice.frame - 1]! / node.speed, { type: 'done', node: node.index, token })
  schedule(now + LEASE_MS / 3, { type: 'renew', node: node.index, token })
}

function claimFor(node: SimNode, frame: number, leaseMs: number): Entry {
  node.lamport++
  return {
    kind: 'claim',
    frame,
    claim: { worker: node.id, lamport: node.lamport, at: now, expiresAt: now + leaseMs },
  }
}

const wallStart = performance.now()
for (const node of nodes) wake(node, 0)
const victims = [...nodes].sort(() => random() - 0.5).slice(0, KILL)
for (const victim of victims) schedule(KILL_AT_MS, { type: 'kill', node: victim.index })
while (heap.length > 0 && firstDone < FRAMES) {
  const { time, event } = pop()
  now = time
  const node = nodes[event.node]!
  if (node.dead) continue
  if (event.type === 'kill') {
    node.dead = true
    if (node.rendering) wastedMs += now - node.rendering.startedAt
    for (const other of nodes) {
      if (other !== node) schedule(now + DETECT_MS, { type: 'seen-dead', node: other.index, dead: node.id })
    }
  } else if (event.type === 'seen-dead') {
    node.workers.find((w) => w.id === event.dead)!.live = false
    if (!node.rendering) wake(node, now)
  } else if (event.type === 'renew') {
    if (node.rendering?.token !== event.token) continue
    publish(node, claimFor(node, node.rendering.frame, LEASE_MS))
    schedule(now + LEASE_MS / 3, event)
  } else if (event.type === 'wake') {
    if (node.wakeAt === time) tryClaim(node)
  } else if (event.type === 'deliver') {
    apply(node, event.entry)
    const current = node.rendering
    if (current && shouldAbandon(node.job.frames[current.frame - 1]!, node.id, now)) {
      wastedMs += now - current.startedAt
      node.rendering = undefined
      // A lost claim is released, or it would hold the frame should the winner die.
      publish(node, claimFor(node, current.frame, 0))
    }
    // New information may free a frame for an idle node; look again shortly, not on every message.
    if (!node.rendering) wake(node, now + 100)
  } else if (node.rendering?.token === event.token) {
    const { frame, startedAt } = node.rendering
    node.rendering = undefined
    node.lamport++
    publish(node, {
      kind: 'rendered',
      frame,
      worker: node.id,
      lamport: node.lamport,
      milliWU: frameMilliWU(now - startedAt, node.speed),
    })
    if (renders[frame - 1]!++ === 0 && ++firstDone === FRAMES) makespan = now
    tryClaim(node)
  }
}

if (firstDone < FRAMES) {
  console.error(`scale-sim: the farm stalled with ${FRAMES - firstDone} frames never rendered`)
  process.exit(1)
}
const totalWork = frameCost.reduce((a, b) => a + b, 0)
const totalSpeed = speeds.reduce((a, b) => a + b, 0)
const ideal = totalWork / totalSpeed + Math.max(...frameCost) / Math.max(...speeds)
const duplicates = renders.filter((n) => n > 1).length
const ratio = makespan / ideal
const duplicateFrac = duplicates / FRAMES

console.log(
  `nodes=${NODES} frames=${FRAMES} speeds=1x..${Math.max(...speeds)}x gossip=${GOSSIP_MIN}-${GOSSIP_MAX}ms ` +
    `lease=${LEASE_MS}ms seed=${values.seed}` +
    (KILL
      ? ` killed=${KILL} at ${KILL_AT_MS} ms (${victims.map((v) => `${v.speed.toFixed(1)}x`).join(' ')}), seen after ${DETECT_MS} ms`
      : ''),
)
console.log(
  `makespan ${(makespan / 1000).toFixed(2)} s simulated, ideal ${(ideal / 1000).toFixed(2)} s (work / speed ${(totalWork / totalSpeed / 1000).toFixed(2)} s)`,
)
console.log(
  `frames rendered twice: ${duplicates}; frames stolen: ${stolen}; render time thrown away (lost claims, dead nodes): ${(wastedMs / 1000).toFixed(1)} s`,
)
console.log(
  `per node frames: ${nodes.map((n) => n.job.frames.filter((f) => f.claims.some((c) => c.worker === n.id)).length).join(' ')}`,
)
console.log(
  `scheduler: ${schedulerCalls} calls, ${(schedulerMs / schedulerCalls).toFixed(2)} ms each; wall ${((performance.now() - wallStart) / 1000).toFixed(1)} s`,
)
console.log(`makespan_ratio=${ratio.toFixed(3)} duplicate_frac=${duplicateFrac.toFixed(4)}`)
