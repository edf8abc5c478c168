/**
 * Scale simulation of the farm's scheduling: many nodes in one process on a simulated clock,
 * each deciding with the very scheduler the real worker uses (src/farm/schedule/scheduler.ts)
 * over its own copy of the ledger's state, folded by the ledger's own fold (in memory, unsigned).
 * Claims and results reach the other nodes after a random gossip delay, each feed in order (an
 * entry that overtakes an earlier one of its feed waits for it, as the ledger holds it), so two
 * nodes can claim the same frame; the later claim loses and its worker stops.
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
import { type BodyOf, type Entry, type EntryType, MemoryFold } from '../../src/ledger/index.ts'
import { jobBody } from '../../test/helpers/farm-state.ts'

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
const ids = speeds.map((_, k) => `node-${String(k).padStart(2, '0')}`)
const OWNER = 'owner'
/** The worker's release: a claim whose lease ends at once (the ledger's smallest lease). */
const RELEASE_LEASE_MS = 1

/** An entry of `author`'s feed written now; the fold needs no signature, and any unique hash will do. */
function entry<T extends EntryType>(
  author: string,
  seq: number,
  lamport: number,
  type: T,
  body: BodyOf[T],
): Entry<T> {
  return { v: 1, author, seq, prev: null, lamport, ts: now, type, body, hash: `${author}!${seq}` }
}

/** What every node holds before the job starts: the workers, the owner's credits, the job, and every accept. */
function genesis(): Entry[] {
  const entries: Entry[] = [
    entry(OWNER, 1, 1, 'grant', { to: OWNER, amount: 1e12 }),
    {
      ...entry(
        OWNER,
        2,
        2,
        'job',
        jobBody(OWNER, { name: JOB, frames: { first: 1, last: FRAMES }, pricePerWU: 1000 }),
      ),
      hash: JOB,
    },
  ]
  ids.forEach((id, k) => {
    const node = {
      name: id,
      owner: id,
      renderers: [{ name: 'povray', version: '3.7' }],
      cores: 1,
      wupm: speeds[k]!,
    }
    entries.push(entry(id, 1, 3, 'node', node), entry(id, 2, 4, 'accept', { job: JOB }))
  })
  return entries
}

interface SimNode {
  index: number
  id: string
  speed: number
  seq: number
  lamport: number
  fold: MemoryFold
  /** author -> the last seq folded; and entries that overtook an earlier one of their feed. */
  heads: Map<string, number>
  held: Map<string, Map<number, Entry>>
  /** Who this node believes is live: it learns of a death only after DETECT_MS. */
  live: Set<string>
  rendering: { frame: number; token: number; startedAt: number } | undefined
  wakeAt: number
  dead: boolean
}

// The event queue: a binary heap on (time, sequence) so equal times keep their order.
type SimEvent =
  | { type: 'deliver'; node: number; entry: Entry<'claim' | 'rendered'> }
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

const nodes: SimNode[] = ids.map((id, index) => {
  const node: SimNode = {
    index,
    id,
    speed: speeds[index]!,
    seq: 2,
    lamport: 4,
    fold: new MemoryFold(),
    heads: new Map(),
    held: new Map(),
    live: new Set(ids),
    rendering: undefined,
    wakeAt: Number.POSITIVE_INFINITY,
    dead: false,
  }
  for (const e of genesis()) apply(node, e)
  return node
})

/** Folds an entry once every earlier one of its feed is folded, as the ledger does. */
function apply(node: SimNode, e: Entry) {
  const feed = node.held.get(e.author) ?? new Map<number, Entry>()
  node.held.set(e.author, feed)
  feed.set(e.seq, e)
  for (let next = feed.get((node.heads.get(e.author) ?? 0) + 1); next; next = feed.get(next.seq + 1)) {
    feed.delete(next.seq)
    node.fold.add(next)
    node.heads.set(e.author, next.seq)
    node.lamport = Math.max(node.lamport, next.lamport)
  }
}

function publish(node: SimNode, e: Entry<'claim' | 'rendered'>) {
  apply(node, e)
  for (const other of nodes) {
    if (other === node) continue
    schedule(now + GOSSIP_MIN + random() * (GOSSIP_MAX - GOSSIP_MIN), {
      type: 'deliver',
      node: other.index,
      entry: e,
    })
  }
}

function append<T extends 'claim' | 'rendered'>(node: SimNode, type: T, body: BodyOf[T]) {
  publish(node, entry(node.id, ++node.seq, node.lamport + 1, type, body))
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
  const choice = nextClaim({ state: node.fold.state(), now, live: node.live }, node.id)
  schedulerMs += performance.now() - started
  schedulerCalls++
  if (!choice) {
    wake(node, now + POLL_MS)
    return
  }
  if (choice.reason === 'stolen') stolen++
  append(node, 'claim', { job: JOB, frames: [choice.frame], leaseMs: LEASE_MS })
  node.rendering = { frame: choice.frame, token: ++token, startedAt: now }
  schedule(now + frameCost[choice.frame - 1]! / node.speed, { type: 'done', node: node.index, token })
  schedule(now + LEASE_MS / 3, { type: 'renew', node: node.index, token })
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
    node.live.delete(event.dead)
    if (!node.rendering) wake(node, now)
  } else if (event.type === 'renew') {
    if (node.rendering?.token !== event.token) continue
    append(node, 'claim', { job: JOB, frames: [node.rendering.frame], leaseMs: LEASE_MS })
    schedule(now + LEASE_MS / 3, event)
  } else if (event.type === 'wake') {
    if (node.wakeAt === time) tryClaim(node)
  } else if (event.type === 'deliver') {
    apply(node, event.entry)
    const current = node.rendering
    if (current && shouldAbandon(node.fold.state().jobs[JOB]!, current.frame, node.id, now)) {
      wastedMs += now - current.startedAt
      node.rendering = undefined
      // A lost claim is released, or it would hold the frame should the winner die.
      append(node, 'claim', { job: JOB, frames: [current.frame], leaseMs: RELEASE_LEASE_MS })
    }
    // New information may free a frame for an idle node; look again shortly, not on every message.
    if (!node.rendering) wake(node, now + 100)
  } else if (node.rendering?.token === event.token) {
    const { frame, startedAt } = node.rendering
    node.rendering = undefined
    append(node, 'rendered', {
      job: JOB,
      frame,
      file: '0'.repeat(64),
      pixelHash: `px${frame}`,
      renderMs: Math.round(now - startedAt),
      wu: frameMilliWU(now - startedAt, node.speed),
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
  `per node frames: ${nodes.map((n) => Object.values(n.fold.state().jobs[JOB]!.frames).filter((f) => n.id in f.claims).length).join(' ')}`,
)
console.log(
  `scheduler: ${schedulerCalls} calls, ${(schedulerMs / schedulerCalls).toFixed(2)} ms each; wall ${((performance.now() - wallStart) / 1000).toFixed(1)} s`,
)
console.log(`makespan_ratio=${ratio.toFixed(3)} duplicate_frac=${duplicateFrac.toFixed(4)}`)
