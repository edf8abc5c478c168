// What a one-node farm costs over `farm render`: the same frames of the bundled POV-Ray example,
// once as `farm render` (frames and video), once submitted to a running `farm join` node (claims,
// leases, blob store, verification, stitching through the ledger) until `farm fetch` gets the
// video. The node is started before the clock runs; its start-up is printed apart. Verification is
// on at the default rate; a node trusts the frames it rendered itself, so on one node nothing is
// re-rendered (the fraction printed says so).
// Listens on 127.0.0.1 only, no mDNS.
// Run: node_modules/.bin/node scripts/bench/farm-overhead.ts [rounds, default 2] [frames, default 48]   (after `npm run build`)
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'

const ROOT = resolve(import.meta.dirname, '..', '..')
const MAIN = join(ROOT, 'dist', 'cli', 'main.js')
const SCENE = join(ROOT, 'examples', 'povray', 'orbit.pov')
const rounds = Number(process.argv[2] ?? 2)
const FRAMES = Number(process.argv[3] ?? 48)
const SIZE = '320x240'

const farm = (args: string[]) => execa(process.execPath, [MAIN, ...args])

async function renderLocally(): Promise<number> {
  const out = await mkdtemp(join(tmpdir(), 'farm-bench-'))
  try {
    const started = performance.now()
    await farm(['render', SCENE, '--frames', `1-${FRAMES}`, '--size', SIZE, '--out', out])
    return (performance.now() - started) / 1000
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}

/** Frames the stitcher re-rendered to verify, over all frames of the last job (its own frames it trusts). */
let rerendered = 0

async function renderOnFarm(home: string): Promise<number> {
  const started = performance.now()
  const { stdout } = await farm(['submit', SCENE, '--frames', `1-${FRAMES}`, '--size', SIZE, '--home', home])
  const job = stdout.trim()
  const out = join(home, 'fetched.mp4')
  for (;;) {
    const fetched = await execa(process.execPath, [MAIN, 'fetch', job, '-o', out, '--home', home], {
      reject: false,
    })
    if (fetched.exitCode === 0) break
    if (fetched.exitCode !== 1) throw new Error(`farm fetch failed: ${fetched.stderr}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const seconds = (performance.now() - started) / 1000
  const status = await farm(['status', job, '--home', home, '--json'])
  rerendered =
    (JSON.parse(status.stdout) as { verification: { checked: number } }).verification.checked / FRAMES
  return seconds
}

const home = await mkdtemp(join(tmpdir(), 'farm-bench-node-'))
await farm(['init', '--home', home, '--name', 'bench', '--listen', '/ip4/127.0.0.1/tcp/0'])
const joinStarted = performance.now()
const node = execa(
  process.execPath,
  [MAIN, 'join', '--home', home, '--headless', '--no-mdns', '--wupm', '1'],
  {
    reject: false,
  },
)
try {
  for (;;) {
    const status = await execa(process.execPath, [MAIN, 'status', '--home', home], { reject: false })
    if (status.exitCode === 0) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const joinSeconds = (performance.now() - joinStarted) / 1000
  console.log(
    `farm-overhead: ${FRAMES} frames of examples/povray/orbit.pov at ${SIZE} with video, ${availableParallelism()} cores, ${rounds} rounds`,
  )
  console.log(`farm join until its control socket answers   ${joinSeconds.toFixed(2)} s`)
  // The machine is shared and its load drifts: both ways run in every round, in alternating order,
  // and each keeps its best time.
  let bestLocal = Number.POSITIVE_INFINITY
  let bestFarm = Number.POSITIVE_INFINITY
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['render', 'farm'] : ['farm', 'render']
    for (const way of order) {
      if (way === 'render') {
        const s = await renderLocally()
        bestLocal = Math.min(bestLocal, s)
        console.log(`farm render                                  ${s.toFixed(2)} s`)
      } else {
        const s = await renderOnFarm(home)
        bestFarm = Math.min(bestFarm, s)
        console.log(
          `farm submit until farm fetch has the video   ${s.toFixed(2)} s (${(rerendered * 100).toFixed(1)} % of frames re-rendered to verify)`,
        )
      }
    }
  }
  console.log(
    `join_s=${joinSeconds.toFixed(2)} render_s=${bestLocal.toFixed(2)} farm_s=${bestFarm.toFixed(2)} overhead_ratio=${(bestFarm / bestLocal).toFixed(3)} rerendered_fraction=${rerendered.toFixed(3)}`,
  )
} finally {
  node.kill('SIGTERM')
  await node
  await rm(home, { recursive: true, force: true })
}
