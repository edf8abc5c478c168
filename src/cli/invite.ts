import { callNode, FarmError, offlineInvite } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'

export const command: Command = {
  help: `Usage: farm invite [--home DIR]

Prints an invite on stdout: the swarm key and the addresses of this node and of the members it
is connected to. Anyone holding it can join the swarm, so share it like a password. When the
node is not running, the invite names only this node's configured addresses.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)

Example:
  farm invite --home ~/.farm      # then on another machine: farm join <invite>
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('invite', argv, { home: { type: 'string' } })
    if (positionals.length > 0)
      throw new UsageError(`farm invite takes no arguments, got '${positionals[0]}'`)
    const home = resolveHome(values.home)
    try {
      process.stdout.write(`${await callNode(home, 'invite')}\n`)
      return 0
    } catch (err) {
      if (!(err instanceof FarmError) || err.code !== 'NODE_NOT_RUNNING') throw err
      const offline = await offlineInvite(home)
      if (offline === undefined) throw err
      process.stderr.write(
        `farm: the node in ${home} is not running; this invite works once it runs (\`farm join --home ${home}\`)\n`,
      )
      process.stdout.write(`${offline}\n`)
      return 0
    }
  },
}
