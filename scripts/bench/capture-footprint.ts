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
const BACKUP_CAPTURES = 30

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

/** A schedule that does not fire while the process is measured idle. */
const IDLE = ['--cron', '0 0 1 1 *', '--source', 'test:']
/** A 640x480 frame every second. */
const BUSY = ['--cron', '* * * * * *', '--source', 'test:640x480', '--tz', 'UTC']

/** `farm capture ARGS`, and how many frames its log said it saved so far. */
function capture(args: string[], env?: NodeJS.ProcessEnv) {
  const child = execa(process.execPath, [MAIN, 'capture', ...args], {
    reject: false,
    buffer: false,
    stderr: 'pipe',
    ...(env === undefined ? {} : { env }),
  })
  let saved = 0
  child.stderr?.on('data', (chunk: Buffer) => {
    saved += chunk.toString().match(/saved frames\//g)?.length ?? 0
  })
  return { child, saved: () => saved }
}

async function daemonFootprint(dir: string) {
  const { child: idle } = capture([...IDLE, '--dir', dir])
  await sleep(10_000)
  const idleRss = await rssMb(idle.pid!)
  idle.kill('SIGTERM')
  await idle

  const { child: busy, saved: savedSoFar } = capture([...BUSY, '--dir', join(dir, 'busy')])
  const started = Date.now()
  while (savedSoFar() < CAPTURES && Date.now() - started < 400_000) await sleep(200)
  const busyRss = await rssMb(busy.pid!)
  busy.kill('SIGTERM')
  await busy
  return { idleRss, busyRss, saved: savedSoFar(), seconds: (Date.now() - started) / 1000 }
}

/** The pids of a process's children named `name` now. */
async function childrenNamed(pid: number, name: string): Promise<number[]> {
  const found = await execa('pgrep', ['-P', String(pid), '-x', name], { reject: false })
  return found.stdout.split('\n').filter(Boolean).map(Number)
}

/**
 * `--backup-remote` to a local-disk remote (rclone's cheapest backend: what is measured is farm
 * and rclone, not a network): idle RSS, then BACKUP_CAPTURES captures a second apart with the
 * RSS of farm and of each rclone it starts sampled every 100 ms.
 */
async function backupFootprint(dir: string) {
  const remote = join(dir, 'remote')
  const env = { ...process.env, RCLONE_CONFIG: join(dir, 'rclone.conf') }
  await writeFile(env.RCLONE_CONFIG, '')
  const { child: idle } = capture(
    [...IDLE, '--dir', join(dir, 'backup-idle'), '--backup-remote', remote],
    env,
  )
  await sleep(10_000)
  const idleRss = (await rssMb(idle.pid!)).rss
  idle.kill('SIGTERM')
  await idle

  const busyDir = join(dir, 'backup-busy')
  const { child: busy, saved } = capture([...BUSY, '--dir', busyDir, '--backup-remote', remote], env)
  let farmPeak = 0
  let rclonePeak = 0
  const rcloneRuns = new Set<number>()
  const started = Date.now()
  while (saved() < BACKUP_CAPTURES && Date.now() - started < 120_000) {
    farmPeak = Math.max(farmPeak, (await rssMb(busy.pid!)).rss)
    for (const pid of await childrenNamed(busy.pid!, 'rclone')) {
      rcloneRuns.add(pid)
      rclonePeak = Math.max(
        rclonePeak,
        await rssMb(pid).then(
          (r) => r.rss,
          () => 0,
        ),
      )
    }
    await sleep(100)
  }
  const busyRss = (await rssMb(busy.pid!)).rss
  busy.kill('SIGTERM')
  await busy
  const local = (await readdir(join(busyDir, 'frames'), { recursive: true })).filter((f) =>
    f.endsWith('.jpg'),
  ).length
  const sent = (await readdir(join(remote, 'frames'), { recursive: true })).filter((f) =>
    f.endsWith('.jpg'),
  ).length
  return { idleRss, busyRss, farmPeak, rclonePeak, rcloneRuns: rcloneRuns.size, saved: saved(), local, sent }
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

  const backup = await backupFootprint(dir)
  console.log(
    `farm capture --backup-remote idle rss: ${backup.idleRss.toFixed(1)} MB (rclone runs only to upload)`,
  )
  console.log(
    `--backup-remote, ${backup.saved} captures 1 s apart: farm rss ${backup.busyRss.toFixed(1)} MB (peak ${backup.farmPeak.toFixed(1)}), rclone peak ${backup.rclonePeak.toFixed(1)} MB over ${backup.rcloneRuns} runs seen; ${backup.sent} of ${backup.local} frames on the remote at the stop`,
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
    `idle_rss_mb=${footprint.idleRss.rss.toFixed(1)} busy_rss_mb=${footprint.busyRss.rss.toFixed(1)} backup_idle_rss_mb=${backup.idleRss.toFixed(1)} backup_busy_rss_mb=${backup.busyRss.toFixed(1)} rclone_peak_rss_mb=${backup.rclonePeak.toFixed(1)} share_idle_rss_mb=${shareRss.toFixed(1)} rebuild_1440_s=${rebuild.toFixed(1)}`,
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
