import { formatCredits, shortJobId } from '../farm/index.ts'
import { queryCommand } from './query.ts'

export const command = queryCommand(
  'credits',
  'credits',
  `Usage: farm credits [--home DIR] [--json]

Balances of every node (in credits; the ledger keeps milli-credits), the top contributors by
WU rendered, and the longest frame ever rendered.

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print JSON (amounts in milli-credits)

Example:
  farm credits
`,
  (credits) => {
    process.stdout.write('balances:\n')
    for (const b of credits.balances)
      process.stdout.write(
        `  ${formatCredits(b.balance).padStart(16)}  ${b.name ?? b.id}${b.owner ? ` (${b.owner})` : ''}\n`,
      )
    process.stdout.write('hall of fame:\n')
    for (const c of credits.hallOfFame.contributors)
      process.stdout.write(
        `  ${(c.wu / 1000).toFixed(3).padStart(10)} WU  ${String(c.frames).padStart(5)} frames  ${c.name ?? c.worker}${c.owner ? ` (${c.owner})` : ''}\n`,
      )
    const longest = credits.hallOfFame.longestFrame
    if (longest)
      process.stdout.write(
        `longest frame: ${longest.frame} of ${shortJobId(longest.job)}, ${(longest.renderMs / 1000).toFixed(2)} s by ${longest.worker}\n`,
      )
  },
)
