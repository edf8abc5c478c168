import { initHome } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'

export const command: Command = {
  help: `Usage: farm init [--home DIR] [--name NAME] [--owner OWNER] [--listen MULTIADDR]...

Creates a node home (identity key, swarm key, config) for a NEW swarm and prints an invite on
stdout; every other message goes to stderr. Give the invite to the machines that should join:
\`farm join <invite>\` (it admits 10 nodes within 24 h; \`farm invite\` prints others). Then
start this node with \`farm join --home DIR\`.

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
    const { id, config, granted, invite } = await initHome(home, values)
    process.stderr.write(
      `farm: created a new swarm in ${home}, node '${config.name}' (${id}), granted ${granted / 1000} credits\n`,
    )
    process.stderr.write(
      `farm: start it with \`farm join --home ${home}\`; others join with the invite below\n`,
    )
    process.stdout.write(`${invite}\n`)
    return 0
  },
}
