import { callNode, DEFAULT_INVITE_USES, FarmError, MAX_INVITE_USES, offlineInvite } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'

const flags = flagsOf('invite')

export const command: Command = {
  help: `Usage: farm invite [--home DIR] [--expires DURATION] [--uses N]

Prints an invite on stdout: the swarm's genesis (which carries the swarm key), a token this node
signs, and the addresses of this node and of the members it is connected to. A joiner presents
the token to a member, which admits it; the token admits at most N nodes, and none after it
expires. Until then, share it like a password. When the node is not running, the invite names
only this node's configured addresses.

Options:
  --home DIR          the node's home (default: $FARM_HOME or ~/.farm)
  --expires DURATION  how long it is accepted: 90s, 30m, 24h, 7d... (default 24h)
  --uses N            how many nodes it may admit (default ${DEFAULT_INVITE_USES})

Example:
  farm invite --home ~/.farm --expires 1h --uses 1    # then on another machine: farm join <invite>
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('invite', argv, {
      home: { type: 'string' },
      expires: { type: 'string' },
      uses: { type: 'string' },
    })
    if (positionals.length > 0)
      throw new UsageError(`farm invite takes no arguments, got '${positionals[0]}'`)
    const home = resolveHome(values.home)
    const expiresMs = flags.duration('expires', values.expires)
    const uses = flags.whole('uses', values.uses, { min: 1, max: MAX_INVITE_USES })
    const terms = {
      ...(expiresMs !== undefined ? { expiresMs } : {}),
      ...(uses !== undefined ? { uses } : {}),
    }
    try {
      process.stdout.write(`${await callNode(home, 'invite', terms)}\n`)
      return 0
    } catch (err) {
      if (!(err instanceof FarmError) || err.code !== 'NODE_NOT_RUNNING') throw err
      const offline = await offlineInvite(home, terms)
      if (offline === undefined) throw err
      process.stderr.write(
        `farm: the node in ${home} is not running; this invite works once it runs (\`farm join --home ${home}\`)\n`,
      )
      process.stdout.write(`${offline}\n`)
      return 0
    }
  },
}
