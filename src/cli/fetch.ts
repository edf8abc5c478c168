import { copyFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { callNode, shortJobId } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { jobLine, printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm fetch JOB [-o FILE.mp4] [--home DIR] [--json]

Once JOB is stitched, fetches its video through the running node (from the stitcher if it is
another node) and copies it to FILE (default: <job name>.mp4 in the current directory); prints
the path. A still rendered in tiles (\`farm submit --tiles\`) gives its PNG (<job name>.png). While the job is not stitched, prints its state and exits 1.

Options:
  -o, --out FILE  where to write the video
  --home DIR      the node's home (default: $FARM_HOME or ~/.farm)
  --json          print the job and the path as JSON

Example:
  farm fetch 3fa2c1 -o orbit.mp4
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('fetch', argv, {
      out: { type: 'string', short: 'o' },
      home: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (positionals.length !== 1)
      throw new UsageError('farm fetch takes one job id, e.g. `farm fetch 3fa2c1 -o video.mp4`')
    const job = await callNode(
      resolveHome(values.home),
      'fetch',
      { id: positionals[0]! },
      { timeoutMs: 600_000 },
    )
    if (job.path === null) {
      if (values.json) printJson(job)
      else process.stderr.write(`farm: job ${shortJobId(job.id)} is not stitched yet:\n${jobLine(job)}\n`)
      return 1
    }
    const out = resolve(
      values.out ?? `${job.name.replace(/[^A-Za-z0-9._-]+/g, '_')}${job.still ? '.png' : '.mp4'}`,
    )
    await copyFile(job.path, out)
    if (values.json) printJson({ ...job, path: out })
    else process.stdout.write(`${out}\n`)
    return 0
  },
}
