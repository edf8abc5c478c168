import { readFile } from 'node:fs/promises'
import { readConfig } from '../farm/index.ts'
import { UsageError } from './command.ts'

/**
 * The invite `farm join` takes from its environment when none is given on the command line, as a
 * container gets it: $FARM_INVITE, or the file $FARM_INVITE_FILE names (a mounted secret). Only
 * while the home has joined no swarm: a restarted container of the same home needs none, and an
 * invite that expired meanwhile must not keep it from starting.
 */
export async function inviteFromEnvironment(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if ((await readConfig(home)) !== undefined) return undefined
  const inline = env.FARM_INVITE?.trim()
  if (inline) return inline
  const file = env.FARM_INVITE_FILE
  if (!file) return undefined
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(
      `farm join: cannot read the invite in FARM_INVITE_FILE=${file} (${err.code ?? err.message}): mount the secret there or unset it`,
    )
  })
  if (text.trim() === '')
    throw new UsageError(
      `farm join: FARM_INVITE_FILE=${file} is empty: put the invite from \`farm invite\` in it`,
    )
  return text.trim()
}
