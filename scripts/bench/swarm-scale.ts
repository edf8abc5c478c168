/**
 * Many real `farm join` processes on one machine: N nodes (default 12) on 127.0.0.1 without mDNS,
 * one of them the founder, which submits a light job (600 frames of the bundled POV-Ray example
 * at 64x48, so gossip, sync, claims, leases, blob fetches and verification dominate) and stitches
 * it. The baseline is `farm render` of the same frames on the same cores, measured in the same
 * run before the nodes start: the nodes share those cores, so it is the ideal makespan.
 * Prints the makespan against it, frames rendered more than once, the job's ledger entries and
 * bytes per frame by kind (read from every node's LevelDB after they stopped), the time from the
 * last frame rendered to the video stitched, and each node's RSS and CPU while idle.
 * Every node, renderer and temp dir is removed at the end, on error and on Ctrl-C.
 * Run: node_modules/.bin/node scripts/bench/swarm-scale.ts [--nodes 12] [--frames 600] [--size 64x48]   (after `npm run build`)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { decodeEntries, type Entry, openLedger } from '../../src/ledger/index.ts'
import { cpuSeconds, type FarmNode, farm, rssMb, startFarmNode } from './lib/farm-process.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '12' },
    frames: { type: 'string', default: '600' },
    size: { type: 'string', default: '64x48' },
    jobs: { type: 'string' },
  },
})
const NODES = Number(values.nodes)
const FRAMES = Number(values.frames)
const SIZE = values.size
const SCENE = resolve(import.meta.dirname, '..', '..', 'examples', 'povray', 'orbit.pov')
const IDLE_SAMPLE_MS = 10_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const load = () => `load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`
const goal = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal')

const root = await mkdtemp(join(tmpdir(), 'farm-swarm-scale-'))
const nodes: FarmNode[] = []
let cleaning: Promise<void> | undefined
const cleanUp = () => {
  cleaning ??= (async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    await rm(root, { recursive: true, force: true })
  })()
  return cleaning
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping ${nodes.length} nodes and removing ${root}`)
    void cleanUp().finally(() => process.exit(130))
  })
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await sleep(250)
  }
}

async function renderLocally(): Promise<number> {
  const out = join(root, 'render')
  const started = performance.now()
  const result = await farm(['render', SCENE, '--frames', `1-${FRAMES}`, '--size', SIZE, '--out', out])
  if (result.code !== 0) throw new Error(`farm render failed: ${result.stderr}`)
  const seconds = (performance.now() - started) / 1000
  await rm(out, { recursive: true, force: true })
  return seconds
}

const nodeArgs = (name: string) => [
  '--listen',
  '/ip4/127.0.0.1/tcp/0',
  '--wupm',
  '1',
  ...(values.jobs ? ['--jobs', values.jobs] : []),
  '--name',
  name,
]

async function startSwarm(): Promise<string[]> {
  const homes = Array.from({ length: NODES }, (_, i) => join(root, `node-${i}`))
  const init = await farm([
    'init',
    '--home',
    homes[0]!,
    '--name',
    'node-0',
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
  ])
  if (init.code !== 0) throw new Error(`farm init failed: ${init.stderr}`)
  nodes.push(await startFarmNode(homes[0]!, nodeArgs('node-0')))
  const invite = await farm(['invite', '--home', homes[0]!, '--uses', String(Math.max(1, NODES - 1))])
  if (invite.code !== 0) throw new Error(`farm invite failed: ${invite.stderr}`)
  // A few at a time: twelve Node start-ups at once on two cores take longer than one by one.
  for (let i = 1; i < NODES; i += 3) {
    const batch = homes.slice(i, i + 3).map((home, j) =>
      startFarmNode(home, [invite.stdout.trim(), ...nodeArgs(`node-${i + j}`)]).then((n) => {
        nodes.push(n)
      }),
    )
    await Promise.all(batch)
  }
  await until(
    async () => {
      const peers = await Promise.all(
        homes.map(async (home) => {
          const r = await farm(['peers', '--home', home, '--json'])
          return r.code === 0 ? (JSON.parse(r.stdout) as unknown[]).length : 0
        }),
      )
      return peers.every((p) => p >= NODES - 1)
    },
    'every node to connect to every other',
    180_000,
  )
  return homes
}

async function idleFigures(): Promise<{ rss: number[]; cpuPct: number[] }> {
  const before = await Promise.all(nodes.map((n) => cpuSeconds(n.pid)))
  await sleep(IDLE_SAMPLE_MS)
  const after = await Promise.all(nodes.map((n) => cpuSeconds(n.pid)))
  const rss = await Promise.all(nodes.map((n) => rssMb(n.pid)))
  return { rss, cpuPct: after.map((a, i) => ((a - before[i]!) / (IDLE_SAMPLE_MS / 1000)) * 100) }
}

async function renderOnSwarm(founder: string): Promise<{ seconds: number; job: string }> {
  const started = performance.now()
  const submitted = await farm([
    'submit',
    SCENE,
    '--frames',
    `1-${FRAMES}`,
    '--size',
    SIZE,
    '--home',
    founder,
  ])
  if (submitted.code !== 0) throw new Error(`farm submit failed: ${submitted.stderr}`)
  const job = submitted.stdout.trim()
  const out = join(root, 'fetched.mp4')
  for (;;) {
    const fetched = await farm(['fetch', job, '-o', out, '--home', founder])
    if (fetched.code === 0) break
    if (fetched.code !== 1) throw new Error(`farm fetch failed: ${fetched.stderr}`)
    await sleep(100)
  }
  return { seconds: (performance.now() - started) / 1000, job }
}

/** Every entry of every feed the stopped nodes hold, once each. */
async function allEntries(homes: string[]): Promise<{ entry: Entry; bytes: number }[]> {
  const seen = new Map<string, { entry: Entry; bytes: number }>()
  for (const home of homes) {
    const ledger = await openLedger({
      path: join(home, 'ledger'),
      privateKey: await generateKeyPair('Ed25519'),
    })
    try {
      for await (const batch of ledger.missing({}))
        for (const decoded of await decodeEntries(batch)) {
          if (decoded instanceof Error) continue
          seen.set(decoded.entry.hash, { entry: decoded.entry, bytes: decoded.encoded.byteLength })
        }
    } finally {
      await ledger.close()
    }
  }
  return [...seen.values()]
}

interface LedgerFigures {
  byKind: Map<string, { entries: number; bytes: number }>
  entries: number
  bytes: number
  renderedTwice: number
  lastToVideoS: number
}

function ledgerFigures(entries: { entry: Entry; bytes: number }[], job: string): LedgerFigures {
  const byKind = new Map<string, { entries: number; bytes: number }>()
  const claimed = new Set<string>()
  const rendersOf = new Map<number, number>()
  let lastRendered = 0
  let stitched = 0
  let total = 0
  let bytes = 0
  for (const { entry, bytes: size } of entries.sort((a, b) => a.entry.ts - b.entry.ts)) {
    const body = entry.body as { job?: string; frames?: number[]; frame?: number; leaseMs?: number }
    if (body.job !== job) continue
    let kind: string = entry.type
    if (entry.type === 'claim') {
      const key = `${entry.author} ${body.frames![0]}`
      kind = body.leaseMs === 1 ? 'release' : claimed.has(key) ? 'renewal' : 'claim'
      for (const f of body.frames!) claimed.add(`${entry.author} ${f}`)
    }
    if (entry.type === 'rendered') {
      rendersOf.set(body.frame!, (rendersOf.get(body.frame!) ?? 0) + 1)
      lastRendered = Math.max(lastRendered, entry.ts)
    }
    if (entry.type === 'stitched') stitched = entry.ts
    const tally = byKind.get(kind) ?? { entries: 0, bytes: 0 }
    tally.entries += 1
    tally.bytes += size
    byKind.set(kind, tally)
    total += 1
    bytes += size
  }
  let renderedTwice = 0
  for (const count of rendersOf.values()) renderedTwice += count - 1
  return { byKind, entries: total, bytes, renderedTwice, lastToVideoS: (stitched - lastRendered) / 1000 }
}

try {
  console.log(
    `swarm-scale: ${NODES} farm join nodes on 127.0.0.1, ${FRAMES} frames of examples/povray/orbit.pov at ${SIZE}, ${availableParallelism()} cores`,
  )
  const renderS = await renderLocally()
  console.log(`farm render of the same frames (ideal)        ${renderS.toFixed(2)} s   (${load()})`)
  const started = performance.now()
  const homes = await startSwarm()
  console.log(
    `${NODES} nodes up and fully connected            ${((performance.now() - started) / 1000).toFixed(1)} s   (${load()})`,
  )
  await sleep(5_000)
  const idle = await idleFigures()
  for (const [i, n] of nodes.entries())
    console.log(`  idle ${n.pid}: RSS ${idle.rss[i]!.toFixed(0)} MB, CPU ${idle.cpuPct[i]!.toFixed(1)} %`)
  const { seconds, job } = await renderOnSwarm(homes[0]!)
  const ratio = seconds / renderS
  console.log(
    `farm submit until farm fetch has the video    ${seconds.toFixed(2)} s   (${load()}): ${ratio.toFixed(3)}x ideal (goal <= 1.25, ${goal(ratio <= 1.25)})`,
  )
  await Promise.all(nodes.map((n) => n.stop()))
  const figures = ledgerFigures(await allEntries(homes), job)
  const perFrame = figures.entries / FRAMES
  const duplicateFrac = figures.renderedTwice / FRAMES
  for (const [kind, t] of [...figures.byKind].sort((a, b) => b[1].bytes - a[1].bytes))
    console.log(
      `  ${kind.padEnd(9)} ${String(t.entries).padStart(6)} entries ${(t.entries / FRAMES).toFixed(2).padStart(6)}/frame ${(t.bytes / FRAMES).toFixed(0).padStart(6)} B/frame`,
    )
  console.log(
    `ledger: ${perFrame.toFixed(2)} entries and ${(figures.bytes / FRAMES).toFixed(0)} B per frame (goal <= 4 entries, ${goal(perFrame <= 4)})`,
  )
  console.log(
    `frames rendered more than once: ${figures.renderedTwice} (${(duplicateFrac * 100).toFixed(1)} %, goal <= 2 %, ${goal(duplicateFrac <= 0.02)})`,
  )
  console.log(
    `last frame rendered to video stitched: ${figures.lastToVideoS.toFixed(2)} s (goal <= 3 s, ${goal(figures.lastToVideoS <= 3)})`,
  )
  const meanRss = idle.rss.reduce((a, b) => a + b, 0) / idle.rss.length
  const meanCpu = idle.cpuPct.reduce((a, b) => a + b, 0) / idle.cpuPct.length
  console.log(
    `idle: RSS ${meanRss.toFixed(0)} MB mean, ${Math.max(...idle.rss).toFixed(0)} MB max; CPU ${meanCpu.toFixed(1)} % mean per node`,
  )
  console.log(
    `makespan_ratio=${ratio.toFixed(3)} duplicate_frac=${duplicateFrac.toFixed(4)} entries_per_frame=${perFrame.toFixed(2)} last_to_video_s=${figures.lastToVideoS.toFixed(2)} idle_rss_mb=${meanRss.toFixed(0)}`,
  )
} finally {
  await cleanUp()
}
