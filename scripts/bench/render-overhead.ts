// How much farm render costs over rendering with plain POV-Ray as a user would without farm.
// Renders the bundled POV-Ray example (60 frames at 640x480, anti-aliased) three ways in one
// run: `farm render --no-video`, one `povray +KFI1 +KFF60` process (POV-Ray's own threads on
// every core), and one `povray` per frame driven by `xargs -P <cores>`. Frames only: none of the
// three stitches, so the ratio is the cost of farm's scheduling, checks and process handling.
// A fourth way, `farm render --sandbox` (bubblewrap, as other owners' scenes render on a node),
// gives sandbox_ratio = sandboxed / plain farm render, measured in the same rounds (goal <= 1.03).
// Run: node_modules/.bin/node scripts/bench/render-overhead.ts [rounds, default 2]   (after `npm run build`)
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'

const ROOT = resolve(import.meta.dirname, '..', '..')
const SCENE_DIR = join(ROOT, 'examples', 'povray')
const SCENE = join(SCENE_DIR, 'orbit.pov')
const FRAMES = 60
const SIZE = ['+W640', '+H480']
const cores = availableParallelism()

async function timed(name: string, run: (out: string) => Promise<unknown>): Promise<number> {
  const out = await mkdtemp(join(tmpdir(), 'farm-bench-'))
  try {
    const started = performance.now()
    await run(out)
    const seconds = (performance.now() - started) / 1000
    const pngs = (await readdir(out)).filter((f) => f.endsWith('.png')).length
    if (pngs !== FRAMES) throw new Error(`${name} wrote ${pngs} frames, not ${FRAMES}`)
    console.log(`${name.padEnd(34)} ${seconds.toFixed(2)} s`)
    return seconds
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}

const farm = (out: string, extra: string[] = []) =>
  execa(process.execPath, [
    join(ROOT, 'dist', 'cli', 'main.js'),
    'render',
    SCENE,
    '--frames',
    `1-${FRAMES}`,
    '--size',
    '640x480',
    '--no-video',
    '--out',
    out,
    ...extra,
  ])

const plainArgs = (out: string) => [
  `+I${SCENE}`,
  `+O${join(out, 'f.png')}`,
  ...SIZE,
  '+A0.3',
  '-D',
  '-V',
  '+KFI1',
  `+KFF${FRAMES}`,
]

const onePovray = (out: string) => execa('povray', plainArgs(out), { cwd: SCENE_DIR })

const xargsPovray = (out: string) =>
  execa(
    'sh',
    [
      '-c',
      `seq 1 ${FRAMES} | xargs -P ${cores} -I{} povray ${plainArgs(out)
        .map((a) => `'${a}'`)
        .join(' ')} +SF{} +EF{} +WT1 2>/dev/null`,
    ],
    { cwd: SCENE_DIR },
  )

// The machine is shared and its load drifts, so each way runs in every round, the order
// reversed from one round to the next, and each keeps its best time.
const rounds = Number(process.argv[2] ?? 2)
const ways: Array<[string, (out: string) => Promise<unknown>]> = [
  ['farm render', (out) => farm(out)],
  ['farm render --sandbox', (out) => farm(out, ['--sandbox'])],
  ['povray, one process', onePovray],
  [`povray per frame, xargs -P ${cores}`, xargsPovray],
]
const best = new Map<string, number>()
console.log(
  `render-overhead: ${FRAMES} frames of examples/povray/orbit.pov at 640x480 on ${cores} cores, ${rounds} rounds`,
)
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of round % 2 === 0 ? ways : [...ways].reverse()) {
    const seconds = await timed(name, run)
    best.set(name, Math.min(seconds, best.get(name) ?? Number.POSITIVE_INFINITY))
  }
}
const [farmSeconds, sandboxSeconds, oneSeconds, xargsSeconds] = ways.map(([name]) => best.get(name)!) as [
  number,
  number,
  number,
  number,
]
console.log(
  `farm_s=${farmSeconds.toFixed(2)} povray_one_s=${oneSeconds.toFixed(2)} povray_xargs_s=${xargsSeconds.toFixed(2)} overhead_ratio=${(farmSeconds / Math.min(oneSeconds, xargsSeconds)).toFixed(3)} farm_sandbox_s=${sandboxSeconds.toFixed(2)} sandbox_ratio=${(sandboxSeconds / farmSeconds).toFixed(3)}`,
)
