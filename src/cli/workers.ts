import type { WorkerSummary } from '../farm/index.ts'
import { queryCommand } from './query.ts'

function caught(w: WorkerSummary): string {
  if (w.mismatches === 0) return ''
  const blocked = w.cheatedOn.length > 0 ? `, blocked from ${w.cheatedOn.length} job(s) as a cheat` : ''
  return `  ${w.mismatches} mismatch(es)${blocked}`
}

export const command = queryCommand(
  'workers',
  'workers',
  `Usage: farm workers [--home DIR] [--json]

Lists every node the ledger knows: name, owner, renderers, cores, WUPM (speed), frames and WU
rendered, and whether this node is connected to it now; a node a verifier caught sending a wrong
image or WU shows its mismatch records and the jobs it was blocked from (and earns nothing for).
rendered, and whether this node is connected to it now. NO SANDBOX marks a node that renders
other people's scenes without the sandbox (\`farm join --unsafe-no-sandbox\`).

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print a JSON array

Example:
  farm workers
`,
  (workers) => {
    for (const w of workers) {
      process.stdout.write(
        `${w.live ? 'online ' : 'offline'} ${w.name.padEnd(16)} ${w.owner.padEnd(10)} ${w.wupm.toFixed(2).padStart(6)} WUPM ${String(w.cores).padStart(3)} cores ${String(w.frames).padStart(5)} frames ${w.wu.toFixed(2).padStart(8)} WU  ${w.renderers.join(', ') || 'no renderer'}  ${w.id}${caught(w)}${w.noSandbox ? '  NO SANDBOX' : ''}\n`,
      )
    }
  },
)
