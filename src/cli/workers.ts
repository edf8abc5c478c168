import { callNode, type WorkerSummary } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm workers [--home DIR] [--json]
       farm workers --disable NODE | --enable NODE [--home DIR] [--json]

Lists every node the ledger knows: online or not, name, owner, WUPM (speed), cores, frames and WU
rendered, renderers, whether it takes frames now (on, paused by its owner, busy with its owner's
own work under --when-idle, or off-hours outside its --schedule) and its owner's limits. A node
a verifier caught sending a wrong image or WU shows its mismatch records and the jobs it was
blocked from (and earns nothing for); NO SANDBOX marks a node that renders other people's
scenes without the sandbox (\`farm join --unsafe-no-sandbox\`).

--disable NODE switches one of your own nodes off (it claims no new frames, and no node gives it
any) from any node of the same owner; --enable NODE switches it back on. NODE is a peer id, a
unique prefix of one or a unique node name. A node of another owner is refused (exit 2).

Options:
  --home DIR       the node's home (default: $FARM_HOME or ~/.farm)
  --disable NODE   switch NODE off (the same switch as \`farm pause\` on NODE)
  --enable NODE    switch NODE on again
  --json           print JSON

Examples:
  farm workers
  farm workers --disable laptop
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('workers', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
      disable: { type: 'string' },
      enable: { type: 'string' },
    })
    if (positionals.length > 0)
      throw new UsageError(`farm workers takes no arguments, got '${positionals[0]}'`)
    if (values.disable !== undefined && values.enable !== undefined)
      throw new UsageError('farm workers takes --disable or --enable, not both')
    const home = resolveHome(values.home)
    const ref = values.disable ?? values.enable
    if (ref !== undefined) {
      const answer = await callNode(home, 'enable', { node: ref, on: values.enable !== undefined })
      if (values.json) printJson(answer)
      else
        process.stderr.write(`farm: ${answer.name ?? answer.id} is ${answer.on ? 'enabled' : 'disabled'}\n`)
      return 0
    }
    const workers = await callNode(home, 'workers')
    if (values.json) printJson(workers)
    else for (const w of workers) process.stdout.write(`${workerLine(w)}\n`)
    return 0
  },
}

/** A node a verifier caught sending a wrong image or WU: its mismatch records and the jobs it was blocked from. */
function caught(w: WorkerSummary): string {
  if (w.mismatches === 0) return ''
  const blocked = w.cheatedOn.length > 0 ? `, blocked from ${w.cheatedOn.length} job(s) as a cheat` : ''
  return `  ${w.mismatches} mismatch(es)${blocked}`
}

function workerLine(w: WorkerSummary): string {
  const limits = [
    w.schedule ? `hours ${w.schedule}` : '',
    w.whenIdle ? 'when idle' : '',
    w.minPrice !== null ? `min price ${w.minPrice / 1000}` : '',
  ].filter(Boolean)
  return `${w.live ? 'online ' : 'offline'} ${w.name.padEnd(16)} ${w.owner.padEnd(10)} ${w.wupm.toFixed(2).padStart(6)} WUPM ${String(w.cores).padStart(3)} cores ${String(w.frames).padStart(5)} frames ${w.wu.toFixed(2).padStart(8)} WU  ${w.availability.padEnd(9)} ${w.renderers.join(', ') || 'no renderer'}${limits.length ? `  (${limits.join(', ')})` : ''}  ${w.id}${caught(w)}${w.noSandbox ? '  NO SANDBOX' : ''}`
}
