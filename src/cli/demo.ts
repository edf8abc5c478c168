import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type FarmEvent, FarmNode, shortJobId } from '../farm/index.ts'
import { benchCachePath, detectFfmpeg, detectRenderers, parseFrameRange, parseSize } from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { type DemoNode, DemoSwarm, freeLoopbackPort } from './demo-swarm.ts'
import { resolveHome } from './home.ts'
import { onStopSignal } from './signals.ts'

const SCENE = fileURLToPath(new URL('../../examples/povray/orbit.pov', import.meta.url))
const NAMES = ['alpha', 'beta', 'gamma'] as const
/** About a minute for the whole demo on 2 cores, start-up and stitching included. */
const DEFAULT_FRAMES = '1-60'
const DEFAULT_SIZE = '480x360'
const DEFAULT_OUT = 'out/demo'
const READY_TIMEOUT_MS = 60_000
/** Frames take seconds here: a frame whose worker vanished is free again soon, not in 2 minutes. */
const LEASE_SECONDS = 30

export const command: Command = {
  help: `Usage: farm demo [--stay] [--frames FIRST-LAST] [--size WxH] [--out DIR]

Starts a swarm of three nodes (alpha, beta, gamma) on 127.0.0.1, each with a temporary home,
submits the bundled POV-Ray example (examples/povray/orbit.pov) from alpha, and lets the three
render it. In a terminal it shows alpha's dashboard (the keys of \`farm join\`; q quits);
otherwise it prints a progress line per frame on stderr. When the video is stitched it is
copied to OUT/video.mp4, its path is printed on stdout, and every node and temporary home is
removed. Nothing listens beyond 127.0.0.1, and mDNS stays off.

Options:
  --stay              keep the swarm (and the dashboard) running after the video is ready,
                      until q or Ctrl-C
  --frames FIRST-LAST frames to render (default ${DEFAULT_FRAMES}: about a minute on 2 cores)
  --size WxH          frame size (default ${DEFAULT_SIZE})
  --out DIR           where to copy the video (default ./${DEFAULT_OUT})

Examples:
  farm demo
  farm demo --frames 1-12 --size 320x240 --out /tmp/demo
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('demo', argv, {
      stay: { type: 'boolean' },
      frames: { type: 'string', default: DEFAULT_FRAMES },
      size: { type: 'string', default: DEFAULT_SIZE },
      out: { type: 'string', default: DEFAULT_OUT },
    })
    if (positionals.length > 0)
      throw new UsageError(`farm demo takes no arguments, got '${positionals[0]}': see \`farm demo --help\``)
    const frames = parseFrameRange(values.frames)
    const size = parseSize(values.size)
    await requireTools()
    const demo = new Demo({
      tty: process.stdout.isTTY === true && process.stdin.isTTY === true,
      stay: values.stay ?? false,
      frames,
      size,
      out: resolve(values.out),
      root: await mkdtemp(join(tmpdir(), 'farm-demo-')),
    })
    return demo.run()
  },
}

interface DemoOptions {
  tty: boolean
  stay: boolean
  frames: { first: number; last: number }
  size: { width: number; height: number }
  out: string
  root: string
}

type JobEnd = Extract<FarmEvent, { type: 'job:stitched' | 'job:failed' | 'job:cancelled' }>

/**
 * One run of the demo. Alpha runs in this process, so that its dashboard is this terminal's;
 * beta and gamma are `farm join` children. Whatever happens, `run` stops all three and removes
 * their homes before it returns.
 */
class Demo {
  private readonly options: DemoOptions
  private readonly swarm: DemoSwarm
  /** Aborted by q, Ctrl-C, SIGTERM, or the end of the demo: everything waiting gives up. */
  private readonly done = new AbortController()
  private alpha: FarmNode | undefined
  private dashboard: Promise<void> | undefined
  private signalled: NodeJS.Signals | undefined
  /** The video's path is on stdout already (--stay off a terminal). */
  private printed = false

  constructor(options: DemoOptions) {
    this.options = options
    this.swarm = new DemoSwarm(options.root)
    this.onSignal = this.onSignal.bind(this)
  }

  async run(): Promise<number> {
    const releaseSignals = onStopSignal(this.onSignal)
    let video: string | undefined
    try {
      video = await this.render()
    } catch (err) {
      if (!this.done.signal.aborted) throw err
    } finally {
      this.done.abort()
      // The dashboard stops alpha itself when it closes.
      await Promise.all([this.dashboard?.catch(() => undefined) ?? this.alpha?.stop(), this.swarm.stop()])
      await rm(this.options.root, { recursive: true, force: true })
      releaseSignals()
    }
    // Only now: while the dashboard was up, the terminal showed its alternate screen.
    if (video !== undefined) {
      if (!this.printed) process.stdout.write(`${video}\n`)
      return 0
    }
    if (this.signalled) return 130
    say('stopped before the video was ready')
    return 0
  }

  private onSignal(signal: NodeJS.Signals): void {
    this.signalled = signal
    if (!this.options.tty) say(`${signal}: stopping the demo's nodes`)
    this.done.abort()
  }

  /** From empty homes to the copied video; undefined when quit before it was ready. */
  private async render(): Promise<string | undefined> {
    const { options, swarm } = this
    const owner = userInfo().username
    const ports = await Promise.all(NAMES.map(() => freeLoopbackPort()))
    const listen = (i: number) => `/ip4/127.0.0.1/tcp/${ports[i]}`
    const homes = NAMES.map((name) => swarm.home(name))
    say(`three nodes in ${swarm.root}: ${NAMES.join(', ')}, listening on 127.0.0.1`)
    const farm = (args: string[]) => swarm.farm(args, this.done.signal)
    await farm(['init', '--home', homes[0]!, '--name', 'alpha', '--owner', owner, '--listen', listen(0)])
    await this.shareWupm(homes)

    const alpha = new FarmNode({ home: homes[0]!, mdns: false, accept: 'all', leaseMs: LEASE_SECONDS * 1000 })
    this.alpha = alpha
    await alpha.start()
    this.done.signal.throwIfAborted()
    const ended = this.jobEnds(alpha)
    if (options.tty) {
      const { runDashboard } = await import('./dashboard.ts')
      this.dashboard = runDashboard(alpha, { signal: this.done.signal })
      // q on the dashboard ends the demo.
      this.dashboard.then(
        () => this.done.abort(),
        () => this.done.abort(),
      )
    }
    const invite = await farm(['invite', '--home', homes[0]!])
    const workers = NAMES.slice(1).map((name, i) =>
      swarm.join(name, [
        invite,
        ...['--home', homes[i + 1]!, '--name', name, '--owner', owner, '--listen', listen(i + 1)],
        ...['--no-mdns', '--headless', '--accept', 'all', '--lease', String(LEASE_SECONDS)],
      ]),
    )
    await this.until(
      () => alpha.peers().length >= workers.length,
      workers,
      'beta and gamma to connect to alpha',
    )
    if (!options.tty) say('alpha, beta and gamma are connected')

    const { first, last } = options.frames
    const size = `${options.size.width}x${options.size.height}`
    const { id: job } = await alpha.submit({ scene: SCENE, first, last, size: options.size })
    if (!options.tty)
      say(`alpha submitted job ${shortJobId(job)}: ${SCENE}, frames ${first}-${last} at ${size}`)
    const end = await ended(job)
    if (end === undefined) return undefined
    if (end.type === 'job:failed') throw new Error(`the demo's job failed: ${end.reason}`)
    if (end.type === 'job:cancelled') {
      // Cancelled with `c` on the dashboard: it stays until q.
      if (options.tty) await aborted(this.done.signal)
      say('the job was cancelled')
      return undefined
    }
    const video = await copyVideo(end, homes, options.out)
    if (options.stay) {
      if (options.tty) alpha.log('info', `demo: the video is ready: ${video}; q quits`)
      else {
        process.stdout.write(`${video}\n`)
        this.printed = true
        say('the video is ready; the swarm runs until Ctrl-C')
      }
      await aborted(this.done.signal)
    }
    return video
  }

  /**
   * A function that waits for the end of a job, counting its frames on stderr meanwhile when
   * there is no dashboard. Listening starts now, so even a tiny job's end is not missed.
   */
  private jobEnds(alpha: FarmNode): (job: string) => Promise<JobEnd | undefined> {
    const ends = new Map<string, JobEnd>()
    const waiters = new Map<string, (end: JobEnd) => void>()
    const rendered = new Set<string>()
    alpha.on('event', (event) => {
      if (event.type === 'frame:rendered' && !this.options.tty) {
        rendered.add(`${event.job} ${event.frame}`)
        say(
          `frame ${event.frame} rendered by ${event.nodeName ?? event.node} in ${(event.renderMs / 1000).toFixed(2)} s (${rendered.size} done)`,
        )
      }
      if (event.type === 'job:stitched' || event.type === 'job:failed' || event.type === 'job:cancelled') {
        if (event.type === 'job:stitched' && !this.options.tty) say(`stitched ${event.frames} frames`)
        ends.set(event.job, event)
        waiters.get(event.job)?.(event)
      }
    })
    return (job) =>
      new Promise((resolve) => {
        const known = ends.get(job)
        if (known) return resolve(known)
        waiters.set(job, resolve)
        this.done.signal.addEventListener('abort', () => resolve(undefined), { once: true })
      })
  }

  /**
   * The nodes announce their WUPM from `farm bench`: this machine's figure when the user's own
   * home has one, else measured once (a few seconds) for all three.
   */
  private async shareWupm(homes: string[]): Promise<void> {
    let source = benchCachePath(resolveHome(undefined))
    if (!existsSync(source)) {
      say('measuring this machine once with `farm bench --renderer povray` (a few seconds)')
      await this.swarm.farm(['bench', '--renderer', 'povray', '--home', homes[0]!], this.done.signal)
      source = benchCachePath(homes[0]!)
    }
    for (const home of homes) {
      const target = benchCachePath(home)
      if (target === source) continue
      await mkdir(join(home, 'cache'), { recursive: true })
      await copyFile(source, target)
    }
  }

  /** Polls `ready` until it holds; fails with a node's own log if one died first. */
  private async until(ready: () => boolean, nodes: DemoNode[], what: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (!ready()) {
      this.done.signal.throwIfAborted()
      for (const node of nodes) {
        if (!node.running)
          throw new Error(`node ${node.name} exited (${await node.exited}):\n${await node.tail()}`)
      }
      if (Date.now() > deadline)
        throw new Error(
          `waited ${READY_TIMEOUT_MS / 1000} s for ${what}; beta's log ends:\n${await nodes[0]!.tail()}`,
        )
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

/** Without POV-Ray the nodes would take no frame and the demo would wait forever: say so first. */
async function requireTools(): Promise<void> {
  const [renderers, ffmpeg] = await Promise.all([detectRenderers(), detectFfmpeg()])
  const missing = [...renderers.filter((r) => r.name === 'povray'), ffmpeg].filter((tool) => !tool.installed)
  if (missing.length > 0) {
    throw new UsageError(
      `farm demo needs ${missing.map((t) => t.name).join(' and ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed: ${missing[0]!.installHint}`,
    )
  }
}

function say(message: string): void {
  process.stderr.write(`demo: ${message}\n`)
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}

/** Copies the video out of the temporary homes before they are removed. */
async function copyVideo(
  stitched: Extract<FarmEvent, { type: 'job:stitched' }>,
  homes: string[],
  out: string,
): Promise<string> {
  const candidates = [
    ...(stitched.path ? [stitched.path] : []),
    ...homes.map((home) => join(home, 'blobs', stitched.video.slice(0, 2), stitched.video)),
  ]
  const found = candidates.find((file) => existsSync(file))
  if (found === undefined)
    throw new Error(`the video ${stitched.video} was stitched but is on none of the demo's nodes' disks`)
  await mkdir(out, { recursive: true })
  const target = join(out, 'video.mp4')
  await copyFile(found, target)
  return target
}
