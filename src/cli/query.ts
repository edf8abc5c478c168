import { callNode, type MethodName, type ParamsOf, type ResultOf } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { printJson } from './job-output.ts'

/** Control methods that take no parameters: the questions a query command asks. */
type Question = { [M in MethodName]: ParamsOf<M> extends Record<string, never> ? M : never }[MethodName]

/**
 * A command that asks the node running in --home one question and prints the answer, as JSON
 * with --json: `farm jobs`, `workers`, `peers`, `ledger`, `credits`.
 */
export function queryCommand<M extends Question>(
  name: string,
  method: M,
  help: string,
  print: (answer: ResultOf<M>) => void,
): Command {
  return {
    help,
    async run(argv) {
      const { values, positionals } = parseCommandArgs(name, argv, {
        home: { type: 'string' },
        json: { type: 'boolean' },
      })
      if (positionals.length > 0)
        throw new UsageError(`farm ${name} takes no arguments, got '${positionals[0]}'`)
      // A generic method defeats callNode's overload on optional parameters; Question has none.
      const ask = callNode as (home: string, method: M) => Promise<ResultOf<M>>
      const answer = await ask(resolveHome(values.home), method)
      if (values.json) printJson(answer)
      else print(answer)
      return 0
    },
  }
}
