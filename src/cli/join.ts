import { resolve as resolvePath } from 'node:path'
import {
  type AcceptPolicy,
  adoptInvite,
  FarmNode,
  formatEvent,
  type LogFormat,
  requireJoined,
  startBackup,
} from '../farm/index.ts'
import type { RendererName } from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'
import { onStopSignal } from './signals.ts'

const flags = flagsOf('join')

export const command: Command = {
  help: `Usage: farm join [INVITE] [--home DIR] [--headless] [--listen MULTIADDR]... [--no-mdns]
                 [--name NAME] [--owner OWNER] [--renderers povray,blender] [--jobs N]
                 [--no-render] [--lease SECONDS] [--accept all|OWNER,...] [--wupm N]
                 [--log-format text|json] [--backup DIR]

Runs this node: connects to the swarm, replicates the ledger and serves blobs until Ctrl-C
(SIGINT) or SIGTERM, then stops cleanly and exits 0. The first time, give the INVITE printed by
\`farm init\` or \`farm invite\` on a member: it creates the home for that swarm, and the node
presents the invite to a member, which admits it (an expired or used-up invite is refused, exit
2). Later, run it without an invite. In a terminal it shows the dashboard (q quits, ? lists the keys); without a
terminal, or with --headless, it logs one line per event on stderr.

While it runs, the node renders frames of the jobs it accepts (claiming each with a lease it
renews), and verifies and stitches the jobs that name it as stitcher. On SIGINT/SIGTERM it
stops claiming, aborts its renders and releases their claims so others take them at once.

Options:
  --home DIR          the node's home (default: $FARM_HOME or ~/.farm)
  --headless          log lines instead of the dashboard
  --listen MULTIADDR  listen on this address, repeatable (default: the home's config)
  --no-mdns           do not look for peers on the LAN with multicast DNS
  --name NAME         display name when creating the home (default: the host name)
  --owner OWNER       owner when creating the home (default: the user name)
  --renderers LIST    renderers this node may use, e.g. povray (default: every installed one)
  --jobs N            frames rendered at once (default: 2 POV-Ray frames on 2 cores, 1 Blender)
  --no-render         render nothing: only replicate, serve blobs and stitch its own jobs
  --lease SECONDS     how long a claim holds a frame without renewal (default 120)
  --accept POLICY     whose jobs to render: all (default) or a comma list of owners
  --wupm N            WUPM to announce instead of the cached \`farm bench\` figure
                      (also $FARM_WUPM; without either, a first start measures it once)
  --log-format F      text (default) or json, one event per line on stderr
  --backup DIR        keep copies of the frames other nodes share with \`farm capture --share\`,
                      in DIR/<node name>/frames/YYYY-MM-DD/HHmmss.jpg

Examples:
  farm join farm1.8Jd...Qw --home ~/.farm
  farm join --home ~/.farm --headless --listen /ip4/127.0.0.1/tcp/4001 --no-mdns
  farm join --home ~/.farm --headless --renderers povray --jobs 1 --log-format json
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('join', argv, {
      home: { type: 'string' },
      headless: { type: 'boolean' },
      listen: { type: 'string', multiple: true },
      'no-mdns': { type: 'boolean' },
      name: { type: 'string' },
      owner: { type: 'string' },
      renderers: { type: 'string' },
      jobs: { type: 'string' },
      'no-render': { type: 'boolean' },
      lease: { type: 'string' },
      accept: { type: 'string' },
      wupm: { type: 'string' },
      'log-format': { type: 'string' },
      backup: { type: 'string' },
    })
    if (positionals.length > 1)
      throw new UsageError('farm join takes at most one invite; quote it if your shell split it')
    const home = resolveHome(values.home)
    const bootstrap = positionals[0] === undefined ? [] : await adoptInvite(home, positionals[0], values)
    await requireJoined(home)
    const logFormat = parseLogFormat(values['log-format'])
    const node = new FarmNode({
      home,
      listen: values.listen,
      bootstrap,
      mdns: values['no-mdns'] ? false : undefined,
      noRender: values['no-render'] ?? false,
      accept: parseAccept(values.accept),
      ...(values.renderers !== undefined ? { renderers: parseRenderers(values.renderers) } : {}),
      jobs: flags.whole('jobs', values.jobs),
      leaseMs: seconds(flags.positive('lease', values.lease)),
      wupm: flags.positive('wupm', values.wupm),
    })
    const dashboard =
      values.headless !== true && process.stdout.isTTY === true && process.stdin.isTTY === true
    // The dashboard shows events in its log pane; lines on stderr would tear its screen.
    if (!dashboard) node.on('event', (event) => process.stderr.write(`${formatEvent(event, logFormat)}\n`))
    // Listening before start, so a Ctrl-C while starting still closes the ledger cleanly.
    let signalled = false
    const stopped = new Promise<NodeJS.Signals>((resolve) =>
      onStopSignal((signal) => {
        signalled = true
        resolve(signal)
      }),
    )
    await node.start()
    const backup =
      values.backup === undefined
        ? undefined
        : await startBackup(node, resolvePath(values.backup), {
            log: (level, message) => node.log(level, message),
          })
    if (dashboard && !signalled) {
      // The dashboard stops the node itself at q, Ctrl-C or SIGTERM.
      await (await import('./dashboard.ts')).runDashboard(node, {
        logFormat,
        accept: parseAccept(values.accept),
      })
      await backup?.stop()
      return 0
    }
    node.log('info', `${await stopped}: stopping (aborting renders, releasing claims)`)
    await backup?.stop()
    await node.stop()
    process.stderr.write(
      `${formatEvent({ type: 'log', ts: Date.now(), level: 'info', message: 'stopped' }, logFormat)}\n`,
    )
    return 0
  },
}

function parseLogFormat(text: string | undefined): LogFormat {
  const format = flags.choice('log-format', text, ['text', 'human', 'json'])
  return format === 'json' ? 'json' : 'human'
}

function parseAccept(text: string | undefined): AcceptPolicy {
  if (text === undefined || text === 'all') return 'all'
  return flags.list('accept', text, 'all or ana,ben')!
}

function parseRenderers(text: string): RendererName[] {
  const names = flags.list('renderers', text, 'povray,blender')!
  for (const name of names) flags.choice('renderers', name, ['povray', 'blender'])
  return names as RendererName[]
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 1000)
}
