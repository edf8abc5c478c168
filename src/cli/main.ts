#!/usr/bin/env node
import { type Command, exitCodeOf } from './command.ts'
import { commands } from './commands.ts'
import { reexecOnProjectNode } from './node-version.ts'

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length))
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return [
    'farm: a peer-to-peer render farm and timelapse maker',
    '',
    'Usage: farm <command> [options]      farm <command> --help for its options and an example',
    '',
    'Commands:',
    ...lines,
    '',
  ].join('\n')
}

async function main(argv: string[]): Promise<number> {
  // React's development build makes each dashboard update ~6x dearer; set before Ink loads.
  process.env.NODE_ENV ??= 'production'
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined
    if (topic === undefined) {
      process.stdout.write(overview())
      return 0
    }
    return main([topic, '--help'])
  }
  if (name === '--version' || name === '-v') {
    const { readFile } = await import('node:fs/promises')
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'))
    process.stdout.write(`farm ${pkg.version}\n`)
    return 0
  }
  const entry = commands[name]
  if (entry === undefined) {
    process.stderr.write(`farm: unknown command '${name}'. Run \`farm --help\` for the list of commands.\n`)
    return 2
  }
  const { command } = (await entry.load()) as { command: Command }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help.trimEnd()}\n`)
    return 0
  }
  return command.run(rest)
}

const reexit = reexecOnProjectNode()
if (reexit !== undefined) {
  process.exitCode = reexit
} else {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err)
      process.stderr.write(`farm: ${message}\n`)
      if (process.env.FARM_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`)
      process.exitCode = exitCodeOf(err)
    },
  )
}
