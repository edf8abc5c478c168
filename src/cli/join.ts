import {
  defaultConfig,
  FarmNode,
  type NodeEvent,
  readConfig,
  resolveHome,
  writeConfig,
} from '../farm/index.ts'
import { decodeInvite, loadOrCreateIdentity, readSwarmSecret, writeSwarmSecret } from '../p2p/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { freeTcpPort } from './swarm-addresses.ts'

export const command: Command = {
  summary: 'join a swarm (with an invite the first time) and run this node until stopped',
  help: `Usage: farm join [INVITE] [--home DIR] [--headless] [--listen MULTIADDR]... [--no-mdns]
                 [--name NAME] [--owner OWNER]

Runs this node: connects to the swarm, replicates the ledger and serves blobs until Ctrl-C
(SIGINT) or SIGTERM, then stops cleanly and exits 0. The first time, give the INVITE printed by
\`farm init\` or \`farm invite\` on a member: it creates the home for that swarm. Later, run it
without an invite. Without a terminal (or with --headless) it logs one line per event on stderr.

Options:
  --home DIR          the node's home (default: $FARM_HOME or ~/.farm)
  --headless          log lines instead of the dashboard
  --listen MULTIADDR  listen on this address, repeatable (default: the home's config)
  --no-mdns           do not look for peers on the LAN with multicast DNS
  --name NAME         display name when creating the home (default: the host name)
  --owner OWNER       owner when creating the home (default: the user name)

Examples:
  farm join farm1.8Jd...Qw --home ~/.farm
  farm join --home ~/.farm --headless --listen /ip4/127.0.0.1/tcp/4001 --no-mdns
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('join', argv, {
      home: { type: 'string' },
      headless: { type: 'boolean' },
      listen: { type: 'string', multiple: true },
      'no-mdns': { type: 'boolean' },
      name: { type: 'string' },
      owner: { type: 'string' },
    })
    if (positionals.length > 1)
      throw new UsageError('farm join takes at most one invite; quote it if your shell split it')
    const home = resolveHome(values.home)
    const bootstrap = positionals[0] === undefined ? [] : await adoptInvite(home, positionals[0], values)
    if ((await readConfig(home)) === undefined) {
      throw new UsageError(
        `${home} has not joined a swarm: run \`farm join <invite> --home ${home}\` with an invite from a member, or \`farm init --home ${home}\` for a new swarm`,
      )
    }
    const node = new FarmNode({
      home,
      listen: values.listen,
      bootstrap,
      mdns: values['no-mdns'] ? false : undefined,
    })
    node.on('event', (event) => process.stderr.write(`${new Date().toISOString()} ${describe(event)}\n`))
    // Listening before start, so a Ctrl-C while starting still closes the ledger cleanly.
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await node.start()
    const signal = await stopped
    process.stderr.write(`${new Date().toISOString()} ${signal}: stopping\n`)
    await node.stop()
    process.stderr.write(`${new Date().toISOString()} stopped\n`)
    return 0
  },
}

/** Creates the home for the invite's swarm (or checks it is that swarm) and returns whom to dial. */
async function adoptInvite(
  home: string,
  text: string,
  values: { listen?: string[]; name?: string; owner?: string },
): Promise<string[]> {
  const invite = decodeInvite(text)
  const existing = await readSwarmSecret(home)
  if (existing !== undefined && !Buffer.from(existing).equals(Buffer.from(invite.secret))) {
    throw new UsageError(
      `${home} belongs to another swarm than this invite: use another --home for this swarm, or run \`farm join --home ${home}\` without an invite`,
    )
  }
  const key = await loadOrCreateIdentity(home)
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  const self = peerIdFromPrivateKey(key).toString()
  const bootstrap = invite.addresses.filter((addr) => !addr.endsWith(`/p2p/${self}`))
  if (existing === undefined) await writeSwarmSecret(home, invite.secret)
  const config = (await readConfig(home)) ?? {
    ...defaultConfig(),
    listen: values.listen ?? [`/ip4/0.0.0.0/tcp/${await freeTcpPort()}`],
    ...(values.name ? { name: values.name } : {}),
    ...(values.owner ? { owner: values.owner } : {}),
  }
  // Remembered, so a restart without the invite still finds the swarm.
  config.bootstrap = [...new Set([...bootstrap, ...config.bootstrap])].slice(0, 16)
  await writeConfig(home, config)
  return bootstrap
}

function describe(event: NodeEvent): string {
  switch (event.type) {
    case 'node:started':
      return `node ${event.id} started, listening on ${event.addresses.join(' ') || '(no addresses)'}`
    case 'peer:joined':
      return `peer joined ${event.peer} ${event.addresses.join(' ')}`
    case 'peer:left':
      return `peer left ${event.peer}`
    case 'entries:synced':
      return `received ${event.accepted} entries from ${event.from} by ${event.via}`
    case 'peer:misbehaved':
      return `peer ${event.peer} misbehaved and was disconnected: ${event.reason}`
    case 'log':
      return event.message
  }
}
