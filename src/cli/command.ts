import { type ParseArgsConfig, parseArgs } from 'node:util'

/** One `farm` subcommand. Modules export `command`; main.ts imports them only when invoked. */
export interface Command {
  /** Full text for `farm <name> --help`: usage line, options and at least one example. */
  help: string
  /** Returns the process exit code: 0 ok, 1 the job or command failed, 2 bad usage or input. */
  run(argv: string[]): Promise<number>
}

/** Bad usage or input: the message names the thing at fault and what to do; exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

/** node:util parseArgs with farm's error wording: unknown flags and missing values are usage errors. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    const message =
      err instanceof Error ? err.message.replace(/\. To specify a positional.*$/s, '') : String(err)
    throw new UsageError(`farm ${command}: ${message}. Run \`farm ${command} --help\` for its options.`)
  }
}

/** Exit code an error maps to: errors from any part may carry `exitCode` (2 for bad input). */
export function exitCodeOf(err: unknown): number {
  const code = (err as { exitCode?: unknown } | null)?.exitCode
  return typeof code === 'number' ? code : 1
}
