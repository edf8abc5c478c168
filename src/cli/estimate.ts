import { resolve } from 'node:path'
import { callNode, type Estimate, estimateLocally, formatCredits } from '../farm/index.ts'
import { formatDuration, parseFrameRange, parseSize, sparkline, writeBarChart } from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

const flags = flagsOf('estimate')

export const command: Command = {
  help: `Usage: farm estimate SCENE --frames A-B --local [--size WxH] [--samples N] [--price CREDITS]
                     [--wupm N] [--chart FILE] [--home DIR] [--json]

Renders a few frames of SCENE on this machine before you spend credits on it: frames spread
over the whole timeline (the first, the last, then halves, quarters...) and the frame after the
first, one renderer process each. It prints the WU each took, a sparkline of WU per frame over
the timeline (measured where rendered, interpolated between), the extrapolated total WU, what
the job costs at --price, and the ETA on the workers of the node running in --home that have
the renderer (their summed WUPM), or on this machine alone when no node runs.

A frame's cost is the renderer's own CPU time (over its threads) times this machine's WUPM, so
other programs on a busy machine do not inflate it. --local is required: rendering the samples
on the swarm's workers is not built yet.

Options:
  --frames A-B      the job's frames
  --local           render the samples here
  --size WxH        frame size (default 320x240, as farm submit)
  --samples N       frames spread over the timeline (default about the square root of the count)
  --price CREDITS   the job's price per WU (default 1)
  --wupm N          this machine's WUPM (default $FARM_WUPM, the \`farm bench\` cache, else 1)
  --chart FILE      also write WU per frame as a PNG bar chart (measured frames dark)
  --home DIR        the node whose workers give the ETA (default: $FARM_HOME or ~/.farm)
  --json            print JSON (WU in milli-WU, credits in milli-credits)

Example:
  farm estimate examples/povray/orbit.pov --frames 1-240 --size 640x480 --local --chart cost.png
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('estimate', argv, {
      frames: { type: 'string' },
      size: { type: 'string' },
      local: { type: 'boolean' },
      samples: { type: 'string' },
      price: { type: 'string' },
      wupm: { type: 'string' },
      chart: { type: 'string' },
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length !== 1)
      throw new UsageError(
        'farm estimate takes one scene file, e.g. `farm estimate orbit.pov --frames 1-48 --local`',
      )
    if (values.frames === undefined)
      throw new UsageError('farm estimate needs --frames A-B, e.g. --frames 1-48')
    if (!values.local)
      throw new UsageError(
        'farm estimate renders its samples on this machine only for now: add --local (estimating on the swarm is not built yet)',
      )
    const range = parseFrameRange(values.frames)
    const price = flags.between('price', values.price, 0, Number.MAX_SAFE_INTEGER / 1000) ?? 1
    const wupm = flags.positive('wupm', values.wupm)
    const spread = flags.whole('samples', values.samples, { min: 2 })
    const home = resolveHome(values.home)
    const scene = resolve(positionals[0]!)
    const workerWupm = await swarmWupm(home, scene)
    const estimate = await estimateLocally({
      scene,
      first: range.first,
      last: range.last,
      size: values.size !== undefined ? parseSize(values.size) : { width: 320, height: 240 },
      pricePerWU: Math.round(price * 1000),
      home,
      ...(wupm !== undefined ? { wupm } : {}),
      ...(spread !== undefined ? { spread } : {}),
      ...(workerWupm ? { workerWupm } : {}),
      onSample: (s) => {
        if (!values.json)
          process.stderr.write(
            `frame ${s.frame}: ${(s.renderMs / 1000).toFixed(2)} s, ${(s.milliWU / 1000).toFixed(3)} WU\n`,
          )
      },
    })
    if (values.chart !== undefined) {
      const measured = new Set(estimate.samples.map((s) => s.frame))
      await writeBarChart(
        resolve(values.chart),
        estimate.perFrame.map((value, i) => ({ value, measured: measured.has(estimate.first + i) })),
      )
    }
    if (values.json) printJson({ ...estimate, workers: workerWupm ? 'swarm' : 'this machine' })
    else process.stdout.write(report(estimate, workerWupm !== undefined))
    return 0
  },
}

/** WUPM of the running node's online workers that have the scene's renderer; undefined when none runs. */
async function swarmWupm(home: string, scene: string): Promise<number[] | undefined> {
  const renderer = scene.endsWith('.blend') ? 'blender' : 'povray'
  const workers = await callNode(home, 'workers', {}, { timeoutMs: 5_000 }).catch(() => undefined)
  const speeds = workers
    ?.filter(
      (w) => w.live && w.availability === 'on' && w.renderers.some((r) => r.split(' ')[0] === renderer),
    )
    .map((w) => (w.wupm > 0 ? w.wupm : 1))
  return speeds && speeds.length > 0 ? speeds : undefined
}

const CHART_COLUMNS = 60

function report(e: Estimate, onSwarm: boolean): string {
  const perCell = Math.max(1, Math.ceil(e.perFrame.length / CHART_COLUMNS))
  const wu = (milli: number) => (milli / 1000).toFixed(3)
  const speed = e.workerWupm.reduce((a, b) => a + b, 0)
  const lines = [
    `frames ${e.first}-${e.last} at ${e.size.width}x${e.size.height}: ${e.samples.length} rendered (${e.samples.map((s) => s.frame).join(', ')})`,
    `WU per frame${perCell > 1 ? ` (${perCell} frames a bar)` : ''}: ${sparkline(
      e.perFrame.map((m) => m / 1000),
      perCell,
    )}  min ${wu(Math.min(...e.perFrame))}, max ${wu(Math.max(...e.perFrame))}`,
    `total ${wu(e.totalMilliWU)} WU; cost ${formatCredits(e.cost)} at ${formatCredits(e.pricePerWU)} a WU`,
    `ETA ${formatDuration(e.etaMs)} on ${onSwarm ? `${e.workerWupm.length} workers of the swarm` : 'this machine'} (${speed.toFixed(2)} WUPM)`,
  ]
  return `${lines.join('\n')}\n`
}
