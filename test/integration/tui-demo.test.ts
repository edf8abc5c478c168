import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FARM_MAIN, freePort, REPO_ROOT, runFarm, spawnFarm, tempDir } from '../helpers/farm.ts'
import { probeVideo } from '../helpers/render-video.ts'
import { TmuxTerminal } from '../helpers/tmux.ts'

// `farm demo` for real: three nodes, POV-Ray, ffmpeg, on 127.0.0.1. Frames are tiny (64x48) so
// the whole file stays well under a minute of rendering on 2 cores.

/** The demo's temporary homes go under TMPDIR: a directory of the test's own, to look into. */
let tmp = ''
/** A home holding this machine's `farm bench` figure, which the demo copies to its nodes. */
let farmHome = ''

beforeAll(async () => {
  tmp = await tempDir('farm-demo-tmp-')
  farmHome = await tempDir('farm-demo-home-')
  const bench = await runFarm(['bench', '--renderer', 'povray', '--home', farmHome])
  expect(bench.exitCode, bench.all).toBe(0)
})

const env = () => ({ TMPDIR: tmp, FARM_HOME: farmHome })

/** `spawnFarm`, with what the child has written so far. */
function spawnWatched(args: string[], options: Parameters<typeof spawnFarm>[1] = {}) {
  const child = spawnFarm(args, options)
  const output = { stdout: '', stderr: '' }
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString()
  })
  return { child, output }
}

/** Processes whose command line names a demo home under `dir`: its nodes and their renderers. */
async function processesUnder(dir: string): Promise<string[]> {
  const { stdout } = await execa('pgrep', ['-af', join(dir, 'farm-demo-')], { reject: false })
  return stdout.split('\n').filter((line) => line.trim() !== '')
}

describe('farm demo without a terminal', () => {
  it('prints progress, then the path of a video with every frame, and leaves nothing behind', async () => {
    const out = await tempDir('farm-demo-out-')
    const run = await runFarm(['demo', '--frames', '1-6', '--size', '64x48', '--out', out], {
      env: env(),
      stdin: 'ignore',
      timeout: 180_000,
    })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout.trim()).toBe(join(out, 'video.mp4'))
    expect(run.stderr).toMatch(/^demo: alpha, beta and gamma are connected$/m)
    const rendered = [
      ...run.stderr.matchAll(/^demo: frame (\d+) rendered by (alpha|beta|gamma) in [\d.]+ s/gm),
    ]
    expect(new Set(rendered.map((m) => Number(m[1])))).toEqual(new Set([1, 2, 3, 4, 5, 6]))
    expect(run.stderr).toMatch(/^demo: stitched 6 frames$/m)
    const video = await probeVideo(run.stdout.trim())
    expect(video).toMatchObject({ frames: 6, width: 64, height: 48 })
    expect(await readdir(tmp)).toEqual([])
    expect(await processesUnder(tmp)).toEqual([])
  })

  it('stops every node and removes every home on SIGINT, exiting 130', async () => {
    const { child: demo, output } = spawnWatched(
      ['demo', '--frames', '1-2000', '--size', '64x48', '--out', await tempDir()],
      { env: env(), stdin: 'ignore' },
    )
    try {
      await vi.waitFor(() => expect(output.stderr).toMatch(/rendered by/), { timeout: 60_000, interval: 200 })
      expect(await processesUnder(tmp)).not.toEqual([])
    } finally {
      demo.kill('SIGINT')
    }
    const result = await demo
    expect(result.exitCode, output.stderr).toBe(130)
    expect(output.stderr).toMatch(/^demo: SIGINT: stopping the demo's nodes$/m)
    expect(await processesUnder(tmp)).toEqual([])
    expect(await readdir(tmp)).toEqual([])
  })

  it('with --stay, prints the video’s path when ready and keeps the swarm until SIGINT', async () => {
    const out = await tempDir('farm-demo-stay-')
    const { child: demo, output } = spawnWatched(
      ['demo', '--stay', '--frames', '1-2', '--size', '64x48', '--out', out],
      { env: env(), stdin: 'ignore' },
    )
    try {
      await vi.waitFor(() => expect(output.stdout).toBe(`${join(out, 'video.mp4')}\n`), {
        timeout: 90_000,
        interval: 200,
      })
      expect((await probeVideo(join(out, 'video.mp4'))).frames).toBe(2)
      expect(await processesUnder(tmp)).not.toEqual([])
    } finally {
      demo.kill('SIGINT')
    }
    expect((await demo).exitCode).toBe(0)
    expect(await processesUnder(tmp)).toEqual([])
    expect(await readdir(tmp)).toEqual([])
  })

  it('says which tool is missing, and how to install it, before starting anything', async () => {
    const run = await runFarm(['demo'], { env: { ...env(), PATH: await tempDir() }, stdin: 'ignore' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/farm demo needs povray and ffmpeg, which are not installed: .*install/)
    expect(await readdir(tmp)).toEqual([])
  })

  it('refuses a bad size before starting anything', async () => {
    const run = await runFarm(['demo', '--size', 'big'], { env: env(), stdin: 'ignore' })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/big/)
    expect(await readdir(tmp)).toEqual([])
  })
})

// tmux gives the demo a pty of 80x24: keys typed with send-keys, the screen read with capture-pane.
describe('farm demo in a terminal', () => {
  const term = new TmuxTerminal()
  const waitForScreen = (check: (lines: string[]) => boolean, what: string) =>
    term.waitForScreen((l) => check(l.map((line) => line.trimEnd())), what, 90_000)

  afterAll(async () => {
    await term.kill()
  })

  it('shows alpha’s dashboard with three workers rendering, answers p and c, and q stops every process', async () => {
    const out = join(await tempDir('farm-demo-tty-out-'), 'out')
    // Enough frames that the job is still running when q is pressed.
    await term.start(
      `TMPDIR='${tmp}' FARM_HOME='${farmHome}' '${process.execPath}' '${FARM_MAIN}' demo --frames 1-2000 --size 64x48 --out '${out}'`,
      { cwd: REPO_ROOT },
    )
    const lines = await waitForScreen(
      (l) => ['alpha', 'beta', 'gamma'].every((name) => l.some((line) => line.startsWith(`● ${name} `))),
      'three workers online',
    )
    expect(lines[0]).toMatch(/^farm [0-9a-f]{8} │ alpha \(.+\) │ 2 peers │/)
    expect(lines[1]).toMatch(/^Workers \(3\) +Owner +State, 3 online +WUPM/)
    await waitForScreen(
      (l) => l.some((line) => /^[▸ ]✓ orbit +.+ povray .+ rendering$/.test(line)),
      'the orbit job rendering',
    )
    await waitForScreen(
      (l) => l.some((line) => /rendering orbit #\d+/.test(line)),
      'a worker rendering a frame',
    )
    expect(await processesUnder(tmp)).not.toEqual([])

    // The keys act on the real node: pause and resume alpha, then cancel the job.
    await term.keys('p')
    await waitForScreen((l) => l.some((line) => /^● alpha .* paused$/.test(line)), 'alpha paused')
    await term.keys('p')
    await waitForScreen((l) => l.some((line) => /^● alpha .* yes$/.test(line)), 'alpha resumed')
    await term.keys('c')
    await waitForScreen((l) => l.some((line) => line.startsWith('Cancel orbit')), 'the cancel question')
    await term.keys('y')
    await waitForScreen((l) => l.some((line) => /^[▸ ]✓ orbit .* cancelled$/.test(line)), 'orbit cancelled')

    await term.keys('q')
    const after = await waitForScreen(
      (l) => l.some((line) => /^exit status \d+$/.test(line)),
      'the demo gone',
    )
    expect(after).toContain('exit status 0')
    expect(after).toContain('demo: the job was cancelled')
    expect(await processesUnder(tmp)).toEqual([])
    expect(await readdir(tmp)).toEqual([])
  })
})

describe('farm demo in a terminal, to the end', () => {
  const terms: TmuxTerminal[] = []

  afterAll(async () => {
    await Promise.all(terms.map((term) => term.kill()))
  })

  /** Runs a 3-frame demo in a new terminal; returns it and where the video goes. */
  async function demo(...flags: string[]) {
    const term = new TmuxTerminal()
    terms.push(term)
    const out = join(await tempDir('farm-demo-tty-end-'), 'out')
    await term.start(
      `TMPDIR='${tmp}' FARM_HOME='${farmHome}' '${process.execPath}' '${FARM_MAIN}' demo ${flags.join(' ')} --frames 1-3 --size 64x48 --out '${out}'`,
      { cwd: REPO_ROOT },
    )
    return { term, video: join(out, 'video.mp4') }
  }

  it('closes the dashboard when the video is ready and prints its path', async () => {
    const { term, video } = await demo()
    await term.waitForScreen((l) => l[0]?.startsWith('farm ') ?? false, 'the dashboard', 60_000)
    const after = await term.waitForScreen((l) => l.includes('exit status 0'), 'the demo gone', 90_000)
    expect(after).toContain(video)
    expect((await probeVideo(video)).frames).toBe(3)
    expect(await processesUnder(tmp)).toEqual([])
    expect(await readdir(tmp)).toEqual([])
  })

  it('with --stay, keeps the dashboard open on the finished job until q', async () => {
    const { term, video } = await demo('--stay')
    await term.waitForScreen(
      (l) => l.some((line) => line.includes('demo: the video is ready')),
      'the video ready in the log pane',
      90_000,
    )
    expect((await term.screen()).some((line) => /^[▸ ]✓ orbit .* done\s*$/.test(line))).toBe(true)
    expect((await probeVideo(video)).frames).toBe(3)
    await term.keys('q')
    const after = await term.waitForScreen((l) => l.includes('exit status 0'), 'the demo gone', 30_000)
    expect(after).toContain(video)
    expect(await processesUnder(tmp)).toEqual([])
    expect(await readdir(tmp)).toEqual([])
  })
})

describe('farm join --headless --log-format json', () => {
  it('writes one JSON object a line: ts, level and type first', async () => {
    const home = join(await tempDir('farm-json-log-'), 'home')
    const port = await freePort()
    const init = await runFarm([
      'init',
      '--home',
      home,
      '--name',
      'solo',
      '--listen',
      `/ip4/127.0.0.1/tcp/${port}`,
    ])
    expect(init.exitCode, init.all).toBe(0)
    const { child: node, output } = spawnWatched([
      'join',
      '--home',
      home,
      '--headless',
      '--no-mdns',
      '--no-render',
      '--log-format',
      'json',
    ])
    try {
      await vi.waitFor(() => expect(output.stderr).toContain('\n'), { timeout: 30_000 })
    } finally {
      node.kill('SIGINT')
      await node
    }
    const lines = output.stderr.trimEnd().split('\n')
    expect(lines.length).toBeGreaterThan(1)
    for (const line of lines) {
      const event = JSON.parse(line) as Record<string, unknown>
      expect(Object.keys(event).slice(0, 3)).toEqual(['ts', 'level', 'type'])
      expect(typeof event.ts).toBe('number')
      expect(['debug', 'info', 'warn', 'error']).toContain(event.level)
    }
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'log', message: 'stopped' })
  })
})
