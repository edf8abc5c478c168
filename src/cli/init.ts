import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  defaultConfig,
  FOUNDER_GRANT,
  grantFounder,
  readConfig,
  resolveHome,
  writeConfig,
} from '../farm/index.ts'
import { encodeInvite, loadOrCreateIdentity, newSwarmSecret, writeSwarmSecret } from '../p2p/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { freeTcpPort, inviteAddresses } from './swarm-addresses.ts'

export const command: Command = {
  summary: 'create a node home and a new swarm, and print an invite to it',
  help: `Usage: farm init [--home DIR] [--name NAME] [--owner OWNER] [--listen MULTIADDR]...

Creates a node home (identity key, swarm key, config) for a NEW swarm and prints an invite on
stdout; every other message goes to stderr. Give the invite to the machines that should join:
\`farm join <invite>\`. Then start this node with \`farm join --home DIR\`.

Options:
  --home DIR          the node's home (default: $FARM_HOME or ~/.farm)
  --name NAME         this node's display name (default: the host name)
  --owner OWNER       who owns this node, to group credits (default: the user name)
  --listen MULTIADDR  address to listen on, repeatable (default: all interfaces, TCP, a free
                      port chosen now and kept, so the invite stays valid across restarts)

Example:
  invite=$(farm init --home ~/.farm --name studio-1 --owner ana)
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('init', argv, {
      home: { type: 'string' },
      name: { type: 'string' },
      owner: { type: 'string' },
      listen: { type: 'string', multiple: true },
    })
    if (positionals.length > 0)
      throw new UsageError(
        `farm init takes no arguments, got '${positionals[0]}'. To join a swarm use \`farm join <invite>\`.`,
      )
    const home = resolveHome(values.home)
    if ((await readConfig(home)) !== undefined || existsSync(join(home, 'swarm.key'))) {
      throw new UsageError(
        `${home} already holds a farm node: start it with \`farm join --home ${home}\`, or print an invite with \`farm invite --home ${home}\``,
      )
    }
    const listen = values.listen ?? [`/ip4/0.0.0.0/tcp/${await freeTcpPort()}`]
    const config = {
      ...defaultConfig(),
      listen,
      ...(values.name ? { name: values.name } : {}),
      ...(values.owner ? { owner: values.owner } : {}),
    }
    const key = await loadOrCreateIdentity(home)
    const secret = newSwarmSecret()
    await writeSwarmSecret(home, secret)
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const id = peerIdFromPrivateKey(key).toString()
    await writeConfig(home, { ...config, genesis: [id] })
    await grantFounder(home, key, id)
    process.stderr.write(
      `farm: created a new swarm in ${home}, node '${config.name}' (${id}), granted ${FOUNDER_GRANT / 1000} credits\n`,
    )
    process.stderr.write(
      `farm: start it with \`farm join --home ${home}\`; others join with the invite below\n`,
    )
    process.stdout.write(
      `${encodeInvite({ secret, addresses: inviteAddresses(listen, id), genesis: [id] })}\n`,
    )
    return 0
  },
}
