import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** A node's home: --home, else $FARM_HOME, else ~/.farm. */
export function resolveHome(home: string | undefined): string {
  return resolve(home ?? process.env.FARM_HOME ?? join(homedir(), '.farm'))
}
