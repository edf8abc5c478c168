import { join, resolve } from 'node:path'
import { type SameTimeSource, startViewer } from '../web/index.ts'
import { type Command, parseCommandArgs } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'
import { nodeJobs } from './serve-jobs.ts'
import { onStopSignal } from './signals.ts'

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  dir: { type: 'string' },
  'base-path': { type: 'string' },
  home: { type: 'string' },
} as const

const help = `Usage: farm serve [--port 8080] [--host 127.0.0.1] [--dir DIR] [--base-path /timelapse] [--home HOME]

Serves the capture directory in a browser: a calendar of the days with their pictures; each
day's video with a scrubber through its frames (arrow keys: frames, PageUp/PageDown: days) and
its frames as a zip; the latest frame live ("Now"); and "same time every day" videos. With
--home, also the farm's render jobs. Every link is relative, so it works behind a reverse proxy
that forwards --base-path.

Options:
  --port N          TCP port (default 8080; 0 picks a free one)
  --host ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 for the whole LAN)
  --dir DIR         the capture directory (default: <home>/capture)
  --base-path PATH  URL prefix the proxy forwards, e.g. /timelapse (default: none)
  --home DIR        farm home (default: $FARM_HOME or ~/.farm); given explicitly, adds the jobs page

Examples:
  farm serve --dir /srv/timelapse --host 0.0.0.0 --port 8080
  farm serve --dir /srv/timelapse --base-path /timelapse   # behind nginx: location /timelapse/ { proxy_pass http://127.0.0.1:8080; }
`

/** The same-time page's videos, built by the capture part, loaded on the first request. */
function sameTimeVideos(dir: string): SameTimeSource {
  return {
    build: async (span, at) => {
      const { buildSameTime } = await import('../capture/index.ts')
      return buildSameTime({ dir, span, at })
    },
  }
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('serve', argv, options)
  const port = flagsOf('serve').whole('port', values.port, { min: 0, max: 65535 }) ?? 8080
  const home = resolveHome(values.home)
  const dir = resolve(values.dir ?? join(home, 'capture'))
  const viewer = await startViewer({
    dir,
    port,
    host: values.host ?? '127.0.0.1',
    basePath: values['base-path'] ?? '',
    jobs: values.home === undefined ? undefined : nodeJobs(home),
    sameTime: sameTimeVideos(dir),
    log: (message) => process.stderr.write(`${new Date().toISOString()} ERROR ${message}\n`),
  })
  process.stderr.write(`serving ${dir} at ${viewer.url} (Ctrl-C to stop)\n`)
  process.stdout.write(`${viewer.url}\n`)
  await new Promise<void>((resolveStop) => onStopSignal(() => resolveStop()))
  await viewer.close()
  return 0
}

export const command: Command = {
  help,
  run,
}
