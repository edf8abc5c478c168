import { callNode } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

/** `farm pause` and `farm resume`: one command each, the same switch. */
export function pauseCommand(name: 'pause' | 'resume'): Command {
  const paused = name === 'pause'
  return {
    help: `Usage: farm ${name} [--home DIR] [--json]

${
  paused
    ? `Pauses the node running in --home: it claims no new frame until \`farm resume\`; renders
in progress finish. The switch is a ledger entry, so every node sees the worker paused (and
gives it no frames), and it holds across restarts. The dashboard's \`p\` does the same.`
    : `Resumes the node running in --home after \`farm pause\` (or \`farm workers --disable\`).`
}

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print JSON

Example:
  farm ${name}
`,
    async run(argv) {
      const { values, positionals } = parseCommandArgs(name, argv, {
        home: { type: 'string' },
        json: { type: 'boolean' },
      })
      if (positionals.length > 0)
        throw new UsageError(
          `farm ${name} takes no arguments; for another of your nodes: farm workers --${paused ? 'disable' : 'enable'} NODE`,
        )
      const answer = await callNode(resolveHome(values.home), 'pause', { paused })
      if (values.json) printJson(answer)
      else
        process.stderr.write(
          `farm: ${answer.paused ? 'paused: this node claims no new frames' : 'resumed'}\n`,
        )
      return 0
    },
  }
}

export const command = pauseCommand('pause')
