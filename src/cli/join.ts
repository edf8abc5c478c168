import { existsSync } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import { EventHooks, hookSecrets, redactor } from '../capture/index.ts'
import {
  type AcceptPolicy,
  adoptInvite,
  FarmNode,
  formatEvent,
  isShown,
  type LogFormat,
  localUtcOffset,
  type OwnerLimits,
  parseHours,
  requireJoined,
  startBackup,
} from '../farm/index.ts'
import { BLENDER_DEVICES, type RendererName, type RendererPrograms } from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'
import { inviteFromEnvironment } from './invite-source.ts'
import { onStopSignal } from './signals.ts'

const flags = flagsOf('join')

export const command: Command = {
  help: `Usage: farm join [INVITE] [--home DIR] [--headless] [--listen MULTIADDR]... [--no-mdns]
                 [--relay | --no-relay] [--upnp] [--announce MULTIADDR]...
                 [--name NAME] [--owner OWNER] [--renderers povray,blender] [--jobs N]
                 [--blender PATH]... [--povray PATH]... [--blender-device DEVICE]
                 [--no-render] [--lease SECONDS] [--accept all|OWNER,...] [--wupm N]
                 [--log-format text|json] [--log-to stderr|stdout] [--backup DIR]
                 [--grace DURATION] [--cache-size SIZE] [--on-event CMD] [--webhook URL]
                 [--max-frame-time DURATION] [--unsafe-no-sandbox]
                 [--schedule HH:MM-HH:MM] [--when-idle] [--max-cores N] [--min-price CREDITS]

Runs this node: connects to the swarm, replicates the ledger and serves blobs until Ctrl-C
(SIGINT) or SIGTERM, then stops cleanly and exits 0. The first time, give the INVITE printed by
\`farm init\` or \`farm invite\` on a member: it creates the home for that swarm, and the node
presents the invite to a member, which admits it (an expired or used-up invite is refused, exit
2). Later, run it without an invite. Without an INVITE, a home that has joined no swarm yet takes
it from $FARM_INVITE or from the file $FARM_INVITE_FILE names (a container's mounted secret). In a
terminal it shows the dashboard (q quits, ? lists the keys); without a terminal, or with
--headless, it logs one line per event on stderr (--log-to stdout for a container).

While it runs, the node renders frames of the jobs it accepts (claiming each with a lease it
renews), and verifies and stitches the jobs that name it as stitcher. On SIGINT/SIGTERM it
stops claiming, aborts its renders and releases their claims so others take them at once;
with --grace it first lets them finish for that long (less 5 s to stop in), then releases what
is left, waits for the stitchers to fetch the frames it rendered, and exits within the grace
period: a spot VM's preemption notice or a pod's termination loses nothing. A second signal
ends the grace period at once.

Options:
  --home DIR          the node's home (default: $FARM_HOME or ~/.farm)
  --headless          log lines instead of the dashboard
  --listen MULTIADDR  listen on this address, repeatable (default: the home's config)
  --no-mdns           do not look for peers on the LAN with multicast DNS
  --relay             relay for members that have no public address, from the start (default:
                      only while a peer has confirmed this node is reachable from the internet)
  --no-relay          never relay for other members
  --upnp              ask the router to forward a port to this node (UPnP); off by default, as
                      it multicasts on the LAN and opens the router to the internet
  --announce MULTIADDR
                      a public address that reaches this node though it cannot see it (a port
                      forwarded by hand, a cloud load balancer), e.g. /ip4/203.0.113.7/tcp/4001,
                      repeatable: peers and invites get it first, and the node relays on your
                      word, without AutoNAT's check
  --name NAME         display name when creating the home (default: the host name)
  --owner OWNER       owner when creating the home (default: the user name)
  --renderers LIST    renderers this node may use, e.g. povray (default: every installed one)
  --jobs N            frames rendered at once (default: 2 POV-Ray frames on 2 cores, 1 Blender)
  --blender PATH      a Blender to render with instead of the one on PATH, e.g. an official
                      build; repeatable: each job is rendered by one of the version it was made
                      with (the node announces every version; \`farm doctor --blender PATH\`)
  --povray PATH       the same for POV-Ray
  --blender-device D  Cycles' device: CPU, CUDA, OPTIX, HIP or METAL (default: the .blend's);
                      a Blender that has no such device here is not used
  --no-render         render nothing: only replicate, serve blobs and stitch its own jobs
  --lease SECONDS     how long a claim holds a frame without renewal (default 120)
  --accept POLICY     whose jobs to render: all (default) or a comma list of owners
  --min-price CREDITS accept other owners' jobs only at this price per WU or more (e.g. 0.5)
  --schedule HOURS    render only within these local hours, e.g. 22:00-07:00 (past midnight
                      is fine); outside them it claims nothing, and every node sees why
  --when-idle         render only while this machine's own load is low: when other programs
                      use more than a quarter of its cores, renders stop within about 2 s and
                      their frames go back to the pool; it renders again after 20 s of quiet
  --max-cores N       renderers use at most N cores (POV-Ray frames at once, Blender threads)
  --wupm N            WUPM to announce instead of the cached \`farm bench\` figure
                      (also $FARM_WUPM; without either, a first start measures it once)
  --log-format F      text (default) or json, one event per line
  --log-to STREAM     stderr (default) or stdout, where those lines go (a container's log
                      collector reads stdout; stderr keeps Node's own crash reports apart)
  --grace DURATION    on SIGTERM/SIGINT, how long renders may go on before their frames are
                      released, e.g. 25s (default 0: release at once)
  --cache-size SIZE   keep at most SIZE of scene files fetched for other nodes' jobs, e.g. 20G
                      (the default); the least recently used go first
  --backup DIR        keep copies of the frames other nodes share with \`farm capture --share\`,
                      in DIR/<node name>/frames/YYYY-MM-DD/HHmmss.jpg
  --on-event CMD      run CMD for each of the farm's events (job:submitted, job:stitched,
                      job:failed, job:cancelled, frame:failed, frame:rendered, frame:verified,
                      worker:blocked, peer:joined, peer:left...; not log lines or syncs): no
                      shell, the event's JSON on stdin, FARM_EVENT, FARM_JOB, FARM_VIDEO set
  --webhook URL       POST each of those events' JSON to URL (retried 5 times, never waited for)
  --max-frame-time D  kill any frame rendering longer than D here, whatever its job asks, and
                      count it a failed attempt (default 1h)
  --unsafe-no-sandbox where the render sandbox cannot work (see \`farm doctor\`), render other
                      nodes' scenes anyway, with this node's full rights; every member's
                      \`farm workers\` then shows this node as NO SANDBOX. Without it, such a
                      node renders only its own jobs

Examples:
  farm join farm2.8Jd...Qw --home ~/.farm
  farm join --home ~/.farm --headless --listen /ip4/127.0.0.1/tcp/4001 --no-mdns
  farm join --home ~/.farm --headless --renderers povray --jobs 1 --log-format json
  FARM_INVITE_FILE=/run/secrets/farm-invite farm join --headless --log-to stdout --grace 25s
  farm join --home ~/.farm --headless --webhook https://chat.example/hooks/farm
  farm join --home ~/.farm --schedule 22:00-07:00 --max-cores 2 --when-idle
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('join', argv, {
      home: { type: 'string' },
      headless: { type: 'boolean' },
      listen: { type: 'string', multiple: true },
      'no-mdns': { type: 'boolean' },
      relay: { type: 'boolean' },
      'no-relay': { type: 'boolean' },
      upnp: { type: 'boolean' },
      announce: { type: 'string', multiple: true },
      name: { type: 'string' },
      owner: { type: 'string' },
      renderers: { type: 'string' },
      jobs: { type: 'string' },
      blender: { type: 'string', multiple: true },
      povray: { type: 'string', multiple: true },
      'blender-device': { type: 'string' },
      'no-render': { type: 'boolean' },
      lease: { type: 'string' },
      accept: { type: 'string' },
      wupm: { type: 'string' },
      'log-format': { type: 'string' },
      backup: { type: 'string' },
      'log-to': { type: 'string' },
      grace: { type: 'string' },
      'cache-size': { type: 'string' },
      'on-event': { type: 'string' },
      webhook: { type: 'string' },
      'max-frame-time': { type: 'string' },
      'unsafe-no-sandbox': { type: 'boolean' },
      schedule: { type: 'string' },
      'when-idle': { type: 'boolean' },
      'max-cores': { type: 'string' },
      'min-price': { type: 'string' },
    })
    if (positionals.length > 1)
      throw new UsageError('farm join takes at most one invite; quote it if your shell split it')
    if (values.relay && values['no-relay'])
      throw new UsageError('farm join takes --relay or --no-relay, not both')
    const announce = parseAnnounce(values.announce)
    const home = resolveHome(values.home)
    const logTo =
      flags.choice('log-to', values['log-to'], ['stderr', 'stdout']) === 'stdout'
        ? process.stdout
        : process.stderr
    const graceMs = flags.duration('grace', values.grace, { zero: true }) ?? 0
    const limits = parseLimits(values)
    const invite = positionals[0] ?? (await inviteFromEnvironment(home))
    const bootstrap = invite === undefined ? [] : await adoptInvite(home, invite, values)
    await requireJoined(home)
    const logFormat = parseLogFormat(values['log-format'])
    const node = new FarmNode({
      home,
      listen: values.listen,
      bootstrap,
      mdns: values['no-mdns'] ? false : undefined,
      relay: values.relay ? 'on' : values['no-relay'] ? 'off' : 'auto',
      upnp: values.upnp ?? false,
      announce,
      noRender: values['no-render'] ?? false,
      accept: parseAccept(values.accept),
      ...(values.renderers !== undefined ? { renderers: parseRenderers(values.renderers) } : {}),
      jobs: flags.whole('jobs', values.jobs),
      installs: installsOf(values),
      leaseMs: seconds(flags.positive('lease', values.lease)),
      wupm: flags.positive('wupm', values.wupm),
      graceMs,
      maxFrameTimeMs: flags.duration('max-frame-time', values['max-frame-time']),
      unsafeNoSandbox: values['unsafe-no-sandbox'] ?? false,
      cacheBytes: flags.bytes('cache-size', values['cache-size']),
      limits,
    })
    const dashboard =
      values.headless !== true && process.stdout.isTTY === true && process.stdin.isTTY === true
    // The dashboard shows events in its log pane; lines on stderr would tear its screen.
    if (!dashboard)
      node.on('event', (event) => {
        if (isShown(event)) logTo.write(`${formatEvent(event, logFormat)}\n`)
      })
    const hooks = new EventHooks({
      command: values['on-event'],
      webhook: values.webhook,
      log: (level, message) => node.log(level, message),
      redact: redactor(
        values.webhook === undefined || !URL.canParse(values.webhook)
          ? []
          : hookSecrets({ webhook: values.webhook }),
      ),
    })
    // Log lines and syncs are the node's bookkeeping, many a second: scripts want what happened.
    node.on('event', (event) => {
      if (event.type === 'log' || event.type === 'entries:synced') return
      // The stitcher holds the video it just made: a hook gets its path (FARM_VIDEO).
      if (event.type === 'job:stitched' && existsSync(node.blobs.path(event.video))) {
        const held: typeof event = { ...event, path: node.blobs.path(event.video) }
        hooks.deliver(held)
      } else hooks.deliver(event)
    })
    // Listening before start, so a Ctrl-C while starting still closes the ledger cleanly.
    let signalled = false
    const hurry = new AbortController()
    const stopped = new Promise<NodeJS.Signals>((resolve) =>
      onStopSignal((signal) => {
        if (signalled) hurry.abort(new Error(`${signal} again`))
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
      await hooks.close()
      return 0
    }
    const signal = await stopped
    node.log(
      'info',
      graceMs > 0
        ? `${signal}: stopping within ${values.grace} (renders may finish; then their frames are released)`
        : `${signal}: stopping (aborting renders, releasing claims)`,
    )
    if (graceMs > 0) exitAfterGrace(graceMs, (message) => node.log('error', message))
    await backup?.stop()
    await node.stop({ hurry: hurry.signal })
    await hooks.close()
    logTo.write(
      `${formatEvent({ type: 'log', ts: Date.now(), level: 'info', message: 'stopped' }, logFormat)}\n`,
    )
    return 0
  },
}

/** The grace period is a promise to whoever sent the signal: past it, exit whatever still runs. */
function exitAfterGrace(graceMs: number, log: (message: string) => void): void {
  setTimeout(() => {
    log(`the grace period of ${graceMs} ms is over and the node has not stopped: exiting now`)
    process.exit(1)
  }, graceMs).unref()
}

/** Public TCP addresses, as libp2p announces them: no peer id (libp2p adds this node's). */
function parseAnnounce(addresses: string[] | undefined): string[] {
  for (const addr of addresses ?? []) {
    if (!/^\/(ip4|ip6|dns|dns4|dns6)\/[^/]+\/tcp\/\d{1,5}$/.test(addr))
      throw flags.error(
        'announce',
        addr,
        'an address like /ip4/203.0.113.7/tcp/4001 or /dns4/farm.example.org/tcp/4001',
      )
  }
  return addresses ?? []
}

function parseLogFormat(text: string | undefined): LogFormat {
  const format = flags.choice('log-format', text, ['text', 'human', 'json'])
  return format === 'json' ? 'json' : 'human'
}

function parseAccept(text: string | undefined): AcceptPolicy {
  if (text === undefined || text === 'all') return 'all'
  return flags.list('accept', text, 'all or ana,ben')!
}

function parseLimits(values: {
  schedule?: string
  'when-idle'?: boolean
  'max-cores'?: string
  'min-price'?: string
}): OwnerLimits {
  const limits: OwnerLimits = {}
  if (values.schedule !== undefined) {
    const hours = parseHours(values.schedule, localUtcOffset())
    if (!hours)
      throw flags.error('schedule', values.schedule, 'local hours such as 22:00-07:00 or 09:00-17:30')
    limits.schedule = hours
  }
  if (values['when-idle']) limits.whenIdle = true
  const cores = flags.whole('max-cores', values['max-cores'])
  if (cores !== undefined) limits.maxCores = cores
  const price = values['min-price']
  if (price !== undefined) {
    const credits = Number(price)
    if (price.trim() === '' || !Number.isFinite(credits) || credits < 0)
      throw flags.error('min-price', price, 'a price in credits per WU from 0 up, such as 0.5')
    limits.minPrice = Math.round(credits * 1000)
  }
  return limits
}

function parseRenderers(text: string): RendererName[] {
  const names = flags.list('renderers', text, 'povray,blender')!
  for (const name of names) flags.choice('renderers', name, ['povray', 'blender'])
  return names as RendererName[]
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 1000)
}

/** `--blender PATH`, `--povray PATH` (each repeatable) and `--blender-device`, as the node takes them. */
function installsOf(values: { blender?: string[]; povray?: string[]; 'blender-device'?: string }) {
  const device = flags.choice('blender-device', values['blender-device']?.toUpperCase(), BLENDER_DEVICES)
  const programs: RendererPrograms = {
    ...(values.blender?.length ? { blender: values.blender.map((p) => programPath('blender', p)) } : {}),
    ...(values.povray?.length ? { povray: values.povray.map((p) => programPath('povray', p)) } : {}),
  }
  return { programs, ...(device !== undefined ? { blenderDevice: device } : {}) }
}

/** A path with a slash is a file (made absolute), which must exist; a bare name is looked up on PATH. */
function programPath(flag: string, program: string): string {
  if (!program.includes('/')) return program
  const path = resolvePath(program)
  if (!existsSync(path))
    throw new UsageError(`farm join: --${flag} ${program}: no such file; give the path of its executable`)
  return path
}
