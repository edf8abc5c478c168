// How far behind a Pi its backup runs: two `farm capture --share` processes on 127.0.0.1, pi-a
// capturing 640x480 test frames every second, pi-b keeping backups. Measured from their logs:
// the lag from "saved" on pi-a to "backed up" on pi-b, against the capture's own time in the same
// run (cron tick to "saved"), then how fast a restarted backup with an empty directory catches up.
// Run: npm run build && node_modules/.bin/node scripts/bench/capture-share.ts
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa, type ResultPromise } from 'execa'

const ROOT = resolve(import.meta.dirname, '..', '..')
const MAIN = join(ROOT, 'dist', 'cli', 'main.js')
const FRAMES = 30

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolvePort(port))
    })
  })
}

/** A `farm` child whose stderr lines are kept with the time each was logged. */
function farm(args: string[]): { child: ResultPromise; lines: string[] } {
  const child = execa(process.execPath, [MAIN, ...args], { reject: false, buffer: false })
  const lines: string[] = []
  let rest = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n')
    rest = parts.pop() ?? ''
    lines.push(...parts)
  })
  return { child, lines }
}

async function until(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`capture-share bench: timed out waiting for ${what}`)
    await sleep(100)
  }
}

async function stop(child: ResultPromise): Promise<void> {
  child.kill('SIGTERM')
  await child
}

/** frame path (day/HHmmss.jpg) -> ms of the log line matching `pattern`. */
function stamps(lines: string[], pattern: RegExp): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of lines) {
    const match = pattern.exec(line)
    if (match) out.set(match[2]!, Date.parse(match[1]!))
  }
  return out
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!

if (!existsSync(MAIN)) {
  console.error(`capture-share: ${MAIN} is missing: run \`npm run build\` first.`)
  process.exit(2)
}
const root = await mkdtemp(join(tmpdir(), 'farm-bench-share-'))
const running: ResultPromise[] = []
try {
  const homeA = join(root, 'home-a')
  const homeB = join(root, 'home-b')
  const listen = `/ip4/127.0.0.1/tcp/${await freePort()}`
  const init = await execa(process.execPath, [
    MAIN,
    'init',
    '--home',
    homeA,
    '--name',
    'pi-a',
    '--listen',
    listen,
  ])
  const joining = farm([
    'join',
    init.stdout.trim(),
    '--home',
    homeB,
    '--name',
    'pi-b',
    '--headless',
    '--no-mdns',
    '--listen',
    `/ip4/127.0.0.1/tcp/${await freePort()}`,
  ])
  await until(() => joining.lines.some((l) => / started/.test(l)), 'pi-b to join')
  await stop(joining.child)
  for (const home of [homeA, homeB]) {
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'))
    await writeFile(join(home, 'config.json'), JSON.stringify({ ...config, mdns: false }))
  }
  const backups = join(root, 'backups')
  const backupArgs = [
    'capture',
    '--share',
    '--home',
    homeB,
    '--dir',
    join(root, 'b'),
    '--backup',
    backups,
    '--source',
    'test:',
    '--cron',
    '0 0 1 1 *',
  ]
  const piA = (source: string, cron: string) =>
    farm([
      'capture',
      '--share',
      '--home',
      homeA,
      '--dir',
      join(root, 'a'),
      '--source',
      source,
      '--tz',
      'UTC',
      '--cron',
      cron,
    ])
  const a = piA('test:640x480', '* * * * * *')
  running.push(a.child)
  // pi-a first: pi-b dials it at start, and pi-a knows no address of pi-b yet.
  await until(() => a.lines.some((l) => l.includes('sharing captures')), 'pi-a to start')
  let b = farm(backupArgs)
  running.push(b.child)
  const saved = () => stamps(a.lines, /^(\S+) INFO +saved frames\/(\S+) /)
  const backedUp = () => stamps(b.lines, /^(\S+) INFO +backed up pi-a\/frames\/(\S+)$/)
  await until(() => backedUp().size >= FRAMES, `${FRAMES} backed-up frames`)
  await stop(a.child)

  const lags: number[] = []
  const captures: number[] = []
  for (const [frame, at] of saved()) {
    const copied = backedUp().get(frame)
    if (copied === undefined) continue
    lags.push(copied - at)
    // The frame is named after its cron tick: tick to "saved" is what one capture takes here.
    const [day, file] = frame.split('/') as [string, string]
    const tick = Date.parse(`${day}T${file.slice(0, 2)}:${file.slice(2, 4)}:${file.slice(4, 6)}Z`)
    captures.push(at - tick)
  }
  console.log(`frames: ${lags.length} of 640x480, one a second, two processes on 127.0.0.1`)
  console.log(`capture (cron tick -> saved):     p50 ${percentile(captures, 50)} ms`)
  console.log(
    `backup lag (saved -> backed up):  p50 ${percentile(lags, 50)} ms, max ${Math.max(...lags)} ms (x${(percentile(lags, 50) / percentile(captures, 50)).toFixed(2)} a capture)`,
  )

  // A backup that lost its directory catches up from the ledger and pi-a's blobs at start.
  await stop(b.child)
  await rm(backups, { recursive: true, force: true })
  const again = piA('test:', '0 0 1 1 *')
  running.push(again.child)
  await until(() => again.lines.some((l) => l.includes('sharing captures')), 'pi-a to start again')
  await rm(join(homeB, 'blobs'), { recursive: true, force: true })
  b = farm(backupArgs)
  running.push(b.child)
  const total = saved().size
  await until(() => backedUp().size >= total, `the catch-up of ${total} frames`)
  // From the node being up (its log line) to the last copy: the catch-up itself, not Node's start.
  const up = Date.parse(b.lines.find((l) => l.includes('sharing captures'))!.split(' ')[0]!)
  const catchUp = (Math.max(...backedUp().values()) - up) / 1000
  console.log(
    `catch-up of ${total} frames into an empty backup: ${catchUp.toFixed(2)} s, ${(total / catchUp).toFixed(1)} frames/s`,
  )
  console.log(
    `backup_lag_p50_ms=${percentile(lags, 50)} backup_lag_max_ms=${Math.max(...lags)} catchup_frames_per_s=${(total / catchUp).toFixed(1)}`,
  )
} finally {
  await Promise.all(running.map((child) => stop(child)))
  await rm(root, { recursive: true, force: true })
}
