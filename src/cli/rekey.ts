import { DEFAULT_INVITE_USES, MAX_INVITE_USES, rekeyHome } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { flagsOf } from './flags.ts'
import { resolveHome } from './home.ts'

const flags = flagsOf('rekey')

export const command: Command = {
  help: `Usage: farm rekey [--home DIR] [--expires DURATION] [--uses N]

Gives the swarm a new key, after an invite (or a home's genesis or swarm.key) leaked: run it on
the founder's home with its node stopped. It signs a new genesis, from which the new key is
derived, and prints an invite to it on stdout. The ledger, credits and admissions carry over.
Then start the founder's node, and on every member, with its node stopped, run
\`farm join <invite> --home DIR\` once (a fresh \`farm invite\` from the founder names its live
addresses): the member moves to the new key and starts. Old invites, and every copy of the old
key, reach no node that moved; a member that did not move cannot reach those that did.

Options:
  --home DIR          the founder's home (default: $FARM_HOME or ~/.farm)
  --expires DURATION  how long the printed invite is accepted (default 24h)
  --uses N            how many nodes it may admit (default ${DEFAULT_INVITE_USES}; members already admitted spend none)

Example:
  farm rekey --home ~/.farm > new-invite.txt
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('rekey', argv, {
      home: { type: 'string' },
      expires: { type: 'string' },
      uses: { type: 'string' },
    })
    if (positionals.length > 0) throw new UsageError(`farm rekey takes no arguments, got '${positionals[0]}'`)
    const home = resolveHome(values.home)
    const expiresMs = flags.duration('expires', values.expires)
    const uses = flags.whole('uses', values.uses, { min: 1, max: MAX_INVITE_USES })
    const invite = await rekeyHome(home, {
      ...(expiresMs !== undefined ? { expiresMs } : {}),
      ...(uses !== undefined ? { uses } : {}),
    })
    process.stderr.write(
      `farm: ${home} has a new swarm key; start its node (\`farm join --home ${home}\`), then run \`farm join <invite>\` with the invite below on every member\n`,
    )
    process.stdout.write(`${invite}\n`)
    return 0
  },
}
