import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { TIMELAPSE_ENCODER } from '../../src/render/index.ts'
import { recordRawFrames } from '../../test/helpers/capture-day.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const MAIN = join(ROOT, 'dist', 'cli', 'main.js')
const DAY = '2026-06-21'
const FRAMES = 1440
const CAPTURES = 100

function rssMb(pid: number): Promise<{ rss: number; peak: number }> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((status) => {
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024
    return { rss: field('VmRSS'), peak: field('VmHWM') }
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function idleBaseline(): Promise<number> {
  const child = execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { reject: false })
  await sleep(3000)
  const { rss } = await rssMb(child.pid!)
  child.kill('SIGKILL')
  await child
  return rss
}

async function daemonFootprint(dir: string) {
  // Idle: a schedule that will not fire during the measurement.
  const idle = execa(
    process.execPath,
    [MAIN, 'capture', '--cron', '0 0 1 1 *', '--source', 'test:', '--dir', dir],
    {
      reject: false,
    },
  )
  await sleep(10_000)
  const idleRss = await rssMb(idle.pid!)
  idle.kill('SIGTERM')
  await idle

  const busy = execa(
    process.execPath,
    [
      MAIN,
      'capture',
      '--cron',
      '* * * * * *',
      '--source',
      'test:640x480',
      '--dir',
      join(dir, 'busy'),
      '--tz',
      'UTC',
    ],
    { reject: false, buffer: false, stderr: 'pipe' },
  )
  let saved = 0
  busy.stderr?.on('data', (chunk: Buffer) => {
    saved += chunk.toString().match(/saved frames\//g)?.length ?? 0
  })
  const started = Date.now()
  while (saved < CAPTURES && Date.now() - started < 400_000) await sleep(200)
  const busyRss = await rssMb(busy.pid!)
  busy.kill('SIGTERM')
  await busy
  return { idleRss, busyRss, saved, seconds: (Date.now() - started) / 1000 }
}

/** `--share` loads libp2p and LevelDB: the idle RSS of a capture process that also runs a node. */
async function shareIdle(dir: string): Promise<number> {
  const home = join(dir, 'home')
  await execa(process.execPath, [MAIN, 'init', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0'])
  const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'))
  await writeFile(join(home, 'config.json'), JSON.stringify({ ...config, mdns: false }))
  const child = execa(
    process.execPath,
    [
      MAIN,
      'capture',
      '--share',
      '--home',
      home,
      '--cron',
      '0 0 1 1 *',
      '--source',
      'test:',
      '--dir',
      join(dir, 'shared'),
    ],
    { reject: false },
  )
  await sleep(10_000)
  const { rss } = await rssMb(child.pid!)
  child.kill('SIGTERM')
  await child
  return rss
}

/** A day of 1,440 test frames with their manifest, as `farm capture` would have left it. */
async function dayOfFrames(dir: string): Promise<string> {
  const frames = join(dir, 'frames', DAY)
  await mkdir(frames, { recursive: true })
  await execa('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x480:rate=1',
    '-frames:v',
    String(FRAMES),
    '-q:v',
    '3',
    join(frames, 'raw%04d.jpg'),
  ])
  await recordRawFrames({ dir, day: DAY, count: FRAMES, everySeconds: 60 })
  return frames
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await run()
  return (performance.now() - started) / 1000
}

if (!existsSync(MAIN)) {
  console.error(`capture-footprint: ${MAIN} is missing: run \`npm run build\` first.`)
  process.exit(2)
}
const dir = await mkdtemp(join(tmpdir(), 'farm-bench-capture-'))
try {
  const baselineRss = await idleBaseline()
  const footprint = await daemonFootprint(dir)
  console.log(`bare node idle rss:             ${baselineRss.toFixed(1)} MB`)
  console.log(
    `farm capture idle 10 s rss:     ${footprint.idleRss.rss.toFixed(1)} MB (x${(footprint.idleRss.rss / baselineRss).toFixed(2)} bare node)`,
  )
  console.log(
    `after ${footprint.saved} captures (${footprint.seconds.toFixed(0)} s): rss ${footprint.busyRss.rss.toFixed(1)} MB, peak ${footprint.busyRss.peak.toFixed(1)} MB`,
  )

  const shareRss = await shareIdle(dir)
  console.log(`farm capture --share idle rss:  ${shareRss.toFixed(1)} MB (the swarm node: libp2p, LevelDB)`)

  const frames = await dayOfFrames(dir)
  const rebuild = await timed(() =>
    execa(process.execPath, [MAIN, 'capture', '--rebuild', DAY, '--dir', dir]),
  )
  const plain = await timed(() =>
    execa('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-framerate',
      '24',
      '-pattern_type',
      'glob',
      '-i',
      join(frames, '*.jpg'),
      ...TIMELAPSE_ENCODER,
      '-pix_fmt',
      'yuv420p',
      '-y',
      join(dir, 'plain.mp4'),
    ]),
  )
  const videos = await readdir(join(dir, 'timelapse'))
  console.log(
    `rebuild ${FRAMES} frames 640x480: ${rebuild.toFixed(1)} s (plain ffmpeg ${plain.toFixed(1)} s, x${(rebuild / plain).toFixed(2)}) -> ${videos.join(' ')}`,
  )
  console.log(
    `idle_rss_mb=${footprint.idleRss.rss.toFixed(1)} busy_rss_mb=${footprint.busyRss.rss.toFixed(1)} share_idle_rss_mb=${shareRss.toFixed(1)} rebuild_1440_s=${rebuild.toFixed(1)}`,
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
