import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { callNode, type FarmEvent, resolveHome, subscribeNode } from '../farm/index.ts'
import { benchCachePath, parseFrameRange, parseSize } from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { type DemoNode, DemoSwarm, freeLoopbackPort } from './demo-swarm.ts'

const SCENE = fileURLToPath(new URL('../../examples/povray/orbit.pov', import.meta.url))
const NAMES = ['alpha', 'beta', 'gamma'] as const
/** About a minute for the whole demo on 2 cores, start-up and stitching included. */
const DEFAULT_FRAMES = '1-48'
const DEFAULT_SIZE = '640x480'
const DEFAULT_OUT = 'out/demo'
const READY_TIMEOUT_MS = 60_000
const SUBSCRIBE_SETTLE_MS = 200

export const command: Command = {
  summary: 'run a swarm of 3 nodes on this machine and render the bundled POV-Ray example',
  help: `Usage: farm demo [--stay] [--frames FIRST-LAST] [--size WxH] [--out DIR]

Starts a swarm of three nodes (alpha, beta, gamma) on 127.0.0.1, each with a temporary home,
submits the bundled POV-Ray example (examples/povray/orbit.pov) from alpha, and lets the three
render it. In a terminal it shows alpha's dashboard (keys as in \`farm join\`; q quits);
otherwise it prints progress lines on stderr. When the video is stitched it is copied to
OUT/video.mp4, its path is printed on stdout, and every node and temporary home is removed.
Nothing listens beyond 127.0.0.1, and mDNS stays off.

Options:
  --stay              keep the dashboard open after the video is ready, until q
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
    const tty = process.stdout.isTTY === true && process.stdin.isTTY === true
    const swarm = new DemoSwarm(await mkdtemp(join(tmpdir(), 'farm-demo-')))
    let interrupted: NodeJS.Signals | undefined
    const onSignal = (signal: NodeJS.Signals) => {
      interrupted = signal
      say(`${signal}: stopping the demo's nodes`)
      void swarm.stop()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      const video = await runDemo(swarm, {
        tty,
        stay: values.stay ?? false,
        frames: `${frames.first}-${frames.last}`,
        size: `${size.width}x${size.height}`,
        out: resolve(values.out),
      })
      if (interrupted) return 130
      if (video === undefined) {
        say('stopped before the video was ready')
        return 0
      }
      process.stdout.write(`${video}\n`)
      return 0
    } catch (err) {
      if (interrupted) return 130
      throw err
    } finally {
      await swarm.stop()
      await rm(swarm.root, { recursive: true, force: true })
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  },
}

interface DemoOptions {
  tty: boolean
  stay: boolean
  frames: string
  size: string
  out: string
}

function say(message: string): void {
  process.stderr.write(`demo: ${message}\n`)
}

/** The demo from empty homes to the copied video; undefined when alpha was quit before it. */
async function runDemo(swarm: DemoSwarm, options: DemoOptions): Promise<string | undefined> {
  const alpha = { node: undefined as DemoNode | undefined }
  try {
    return await startAndFollow(swarm, options, alpha)
  } catch (err) {
    // q on alpha's dashboard while the swarm was still starting is a quit, not a failure.
    if (options.tty && alpha.node && !alpha.node.running && (await alpha.node.exited) === 0) return undefined
    throw err
  }
}

async function startAndFollow(
  swarm: DemoSwarm,
  options: DemoOptions,
  started: { node: DemoNode | undefined },
): Promise<string | undefined> {
  const owner = userInfo().username
  const ports = await Promise.all(NAMES.map(() => freeLoopbackPort()))
  const listen = (i: number) => `/ip4/127.0.0.1/tcp/${ports[i]}`
  const [alphaHome, ...others] = NAMES.map((name) => swarm.home(name))
  say(`three nodes in ${swarm.root}: ${NAMES.join(', ')}, listening on 127.0.0.1`)
  await swarm.farm(['init', '--home', alphaHome!, '--name', 'alpha', '--owner', owner, '--listen', listen(0)])
  await shareWupm(swarm, [alphaHome!, ...others])

  const alpha = swarm.join(
    'alpha',
    ['--home', alphaHome!, '--no-mdns', ...(options.tty ? [] : ['--headless'])],
    options.tty,
  )
  started.node = alpha
  await untilAnswers(alpha, () => callNode(alphaHome!, 'status', {}, { timeoutMs: 2000 }), 'to start')
  const invite = await swarm.farm(['invite', '--home', alphaHome!])
  const workers = NAMES.slice(1).map((name, i) =>
    swarm.join(name, [
      invite,
      '--home',
      others[i]!,
      '--name',
      name,
      '--owner',
      owner,
      '--listen',
      listen(i + 1),
      '--no-mdns',
      '--headless',
    ]),
  )
  await untilAnswers(
    alpha,
    async () => {
      const peers = await callNode<unknown[]>(alphaHome!, 'peers', {}, { timeoutMs: 2000 })
      if (peers.length < workers.length)
        throw new Error(`${peers.length} of ${workers.length} peers connected`)
    },
    'to meet beta and gamma',
    workers,
  )
  if (!options.tty) say('alpha, beta and gamma are connected')

  const events = eagerly(subscribeNode(alphaHome!))
  // The subscription is open before the job exists, so not even a tiny job's end is missed.
  await new Promise((r) => setTimeout(r, SUBSCRIBE_SETTLE_MS))
  const job = await swarm.farm([
    'submit',
    SCENE,
    '--frames',
    options.frames,
    '--size',
    options.size,
    '--home',
    alphaHome!,
  ])
  if (!options.tty)
    say(`submitted job ${job.slice(0, 8)}: ${SCENE}, frames ${options.frames} at ${options.size}`)
  const stitched = await followJob(events, job, options.tty)
  if (stitched === undefined) return undefined
  const video = await copyVideo(stitched, [alphaHome!, ...others], options.out)
  if (options.stay) await alpha.exited
  else await alpha.stop(20_000)
  return video
}

/**
 * The nodes announce their WUPM from `farm bench`: use this machine's figure when the user's
 * own home has one, else measure once (a few seconds) for all three.
 */
async function shareWupm(swarm: DemoSwarm, homes: string[]): Promise<void> {
  let source = benchCachePath(resolveHome(undefined))
  if (!existsSync(source)) {
    say('measuring this machine once with `farm bench --renderer povray` (a few seconds)')
    await swarm.farm(['bench', '--renderer', 'povray', '--home', homes[0]!])
    source = benchCachePath(homes[0]!)
  }
  for (const home of homes) {
    const target = benchCachePath(home)
    if (target === source) continue
    await mkdir(join(home, 'cache'), { recursive: true })
    await copyFile(source, target)
  }
}

/** Retries `check` until it resolves; fails with the node's own log if it (or another) died first. */
async function untilAnswers(
  node: DemoNode,
  check: () => Promise<unknown>,
  what: string,
  also: DemoNode[] = [],
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last: unknown
  for (;;) {
    for (const n of [node, ...also]) {
      if (!n.running) throw new Error(`node ${n.name} exited (${await n.exited}):\n${await n.tail()}`)
    }
    try {
      await check()
      return
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(
        `node ${node.name} did not manage ${what} within ${READY_TIMEOUT_MS / 1000} s (${(last as Error).message}):\n${await node.tail()}`,
      )
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Starts an async generator now rather than at the first `for await`. */
function eagerly<T>(generator: AsyncGenerator<T>): AsyncIterable<T> {
  let first: Promise<IteratorResult<T>> | undefined = generator.next()
  return {
    [Symbol.asyncIterator]: () => ({
      next() {
        const next = first ?? generator.next()
        first = undefined
        return next
      },
      return: () => generator.return(undefined),
    }),
  }
}

type Stitched = Extract<FarmEvent, { type: 'job:stitched' }>

/**
 * Alpha's events until the job is stitched (undefined if alpha stopped first); off a terminal,
 * a progress line per frame.
 */
async function followJob(
  events: AsyncIterable<unknown>,
  job: string,
  quiet: boolean,
): Promise<Stitched | undefined> {
  const rendered = new Set<number>()
  for await (const value of events) {
    const event = value as FarmEvent
    if (!('job' in event) || event.job !== job) continue
    switch (event.type) {
      case 'frame:rendered':
        rendered.add(event.frame)
        if (!quiet)
          say(
            `frame ${event.frame} rendered by ${event.nodeName ?? event.node} in ${(event.renderMs / 1000).toFixed(2)} s (${rendered.size} rendered)`,
          )
        break
      case 'frame:failed':
        if (!quiet) say(`frame ${event.frame} failed on ${event.nodeName ?? event.node}: ${event.error}`)
        break
      case 'job:stitched':
        if (!quiet) say(`stitched ${event.frames} frames`)
        return event
      case 'job:failed':
        throw new Error(`the demo job failed: ${event.reason}`)
      case 'job:cancelled':
        throw new Error(`the demo job was cancelled by ${event.byName ?? event.by}`)
    }
  }
  return undefined
}

/** Copies the video out of the temporary homes before they are removed. */
async function copyVideo(stitched: Stitched, homes: string[], out: string): Promise<string> {
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
