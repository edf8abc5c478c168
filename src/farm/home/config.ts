import { readFile, rename, writeFile } from 'node:fs/promises'
import { homedir, hostname, userInfo } from 'node:os'
import { join, resolve } from 'node:path'

/** `<home>/config.json`: what a node is called, who owns it, where it listens and whom it dials first. */
export interface NodeConfig {
  name: string
  owner: string
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  /** The swarm founder's peer id (from `farm init` or the invite): only its grants are credits. */
  genesis: string[]
}

export function resolveHome(home: string | undefined): string {
  return resolve(home ?? process.env.FARM_HOME ?? join(homedir(), '.farm'))
}

export function defaultConfig(): NodeConfig {
  return {
    name: hostname(),
    owner: userInfo().username,
    listen: ['/ip4/0.0.0.0/tcp/0'],
    bootstrap: [],
    mdns: true,
    genesis: [],
  }
}

export async function readConfig(home: string): Promise<NodeConfig | undefined> {
  const text = await readFile(join(home, 'config.json'), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (text === undefined) return undefined
  let parsed: Partial<NodeConfig>
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw Object.assign(
      new Error(
        `${join(home, 'config.json')} is not valid JSON (${(err as Error).message}): fix or remove it`,
      ),
      { exitCode: 2 },
    )
  }
  return { ...defaultConfig(), ...parsed }
}

export async function writeConfig(home: string, config: NodeConfig): Promise<void> {
  const file = join(home, 'config.json')
  await writeFile(`${file}.tmp`, `${JSON.stringify(config, null, 2)}\n`)
  await rename(`${file}.tmp`, file)
}
