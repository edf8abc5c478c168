import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type BenchResult,
  benchCachePath,
  benchmarkRenderer,
  detectRenderers,
  RenderError,
  type RendererName,
  saveBenchResults,
} from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'
import { onStopSignal } from './signals.ts'

const help = `Usage: farm bench [--renderer povray|blender] [--home DIR] [--json]

Renders farm's fixed reference scenes and prints this machine's speed in WUPM, per renderer.
1 WU (work unit) is one minute of render on the reference machine, a 2-core x86-64 VM; a
machine twice as fast scores 2 WUPM. The figures are saved in HOME/cache/wupm.json, where a
farm node reads them. Renderers that are not installed are skipped.

Options:
  --renderer NAME   measure only povray or blender (default: every installed renderer)
  --home DIR        node home directory (default $FARM_HOME or ~/.farm)
  --json            print the results as JSON

Example:
  farm bench
  farm bench --renderer povray --json
`

export const command: Command = {
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('bench', argv, {
      renderer: { type: 'string' },
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length > 0)
      throw new UsageError(`farm bench: unexpected '${positionals.join(' ')}'. Run \`farm bench --help\`.`)
    const wanted = flagsOf('bench').choice('renderer', values.renderer, ['povray', 'blender'])
    const home = resolveHome(values.home)
    const installed = await detectRenderers()
    const chosen = installed.filter((r) => wanted === undefined || r.name === wanted)
    for (const r of chosen.filter((r) => !r.installed))
      process.stderr.write(`farm bench: skipping ${r.name}: not installed, ${r.installHint}\n`)
    const names: RendererName[] = chosen.filter((r) => r.installed).map((r) => r.name)
    if (names.length === 0) {
      const which = wanted ?? 'povray or blender'
      throw RenderError.RENDERER_MISSING(
        which,
        'install it (see `farm doctor`), then run `farm bench` again.',
      )
    }

    const stop = new AbortController()
    const releaseSignals = onStopSignal(() => stop.abort())
    const workDir = await mkdtemp(join(tmpdir(), 'farm-bench-'))
    const results: BenchResult[] = []
    try {
      for (const name of names) {
        process.stderr.write(`farm bench: rendering the ${name} reference scene...\n`)
        const result = await benchmarkRenderer(name, { workDir: join(workDir, name), signal: stop.signal })
        results.push(result)
        if (!values.json) {
          process.stdout.write(
            `${name.padEnd(8)} ${result.wupm.toFixed(2)} WUPM  (${result.seconds.toFixed(2)} s here, ${result.referenceSeconds} s on the reference machine)\n`,
          )
        }
      }
      await saveBenchResults(home, results)
      if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
      else process.stderr.write(`farm bench: saved in ${benchCachePath(home)}\n`)
      return 0
    } finally {
      releaseSignals()
      await rm(workDir, { recursive: true, force: true })
    }
  },
}
