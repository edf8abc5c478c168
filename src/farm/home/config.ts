import { readFile, rename, writeFile } from 'node:fs/promises'
import { hostname, userInfo } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { FarmError } from '../errors.ts'

/**
 * `<home>/config.json`: what a node is called, who owns it, where it listens and whom it dials
 * first. Checked when read, so a hand-edited file that is wrong says which field and why; fields
 * it lacks take their defaults, so a config written by an older farm still loads. The founder is
 * not here but in the signed `genesis` file: a config anyone can edit cannot name it.
 */
const configSchema = z.object({
  name: z.string().min(1),
  owner: z.string().min(1),
  listen: z.array(z.string().min(1)),
  bootstrap: z.array(z.string().min(1)),
  mdns: z.boolean(),
})

export type NodeConfig = z.infer<typeof configSchema>

/** Members' addresses a home keeps for the next start: enough to find a swarm whose founder left. */
export const MAX_REMEMBERED_MEMBERS = 16

export function defaultConfig(): NodeConfig {
  return {
    name: hostname(),
    owner: userInfo().username,
    listen: ['/ip4/0.0.0.0/tcp/0'],
    bootstrap: [],
    mdns: true,
  }
}

export async function readConfig(home: string): Promise<NodeConfig | undefined> {
  const file = join(home, 'config.json')
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (text === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw FarmError.BAD_CONFIG(file, `is not valid JSON (${(err as Error).message})`)
  }
  const checked = configSchema.partial().safeParse(parsed)
  if (!checked.success) {
    const issue = checked.error.issues[0]!
    throw FarmError.BAD_CONFIG(file, `has a wrong "${issue.path.join('.')}": ${issue.message}`)
  }
  return { ...defaultConfig(), ...checked.data }
}

export async function writeConfig(home: string, config: NodeConfig): Promise<void> {
  const file = join(home, 'config.json')
  await writeFile(`${file}.tmp`, `${JSON.stringify(config, null, 2)}\n`)
  await rename(`${file}.tmp`, file)
}

/** Adds members' addresses to the ones the home remembers, newest first, at most MAX_REMEMBERED_MEMBERS. */
export function rememberMembers(config: NodeConfig, addresses: readonly string[]): NodeConfig {
  return {
    ...config,
    bootstrap: [...new Set([...addresses, ...config.bootstrap])].slice(0, MAX_REMEMBERED_MEMBERS),
  }
}
