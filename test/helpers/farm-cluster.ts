import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { afterAll } from 'vitest'
import type { JobDetail } from '../../src/farm/index.ts'
import { type FarmChild, runFarm, spawnFarm, tempDir } from './farm.ts'

/**
 * Real `farm join` processes on 127.0.0.1 sharing one swarm, each in its own home, for the
 * farm's end-to-end tests. Every process (and any renderer it left behind) is killed after
 * the test file, also when a test fails.
 */
export interface FarmProcess {
  name: string
  home: string
  id: string
  proc: FarmChild
  log: () => string
}

const running = new Set<FarmProcess>()
afterAll(async () => {
  await Promise.all([...running].map((node) => stopNode(node)))
})

export interface ClusterOptions {
  /** Seconds: short, so that a killed worker's frames come back soon. */
  lease?: number
  extraArgs?: string[]
  /** The node's environment (replaces the tests' default, still extends process.env). */
  env?: Record<string, string>
  /** Arguments for one node only, by name (e.g. a submitter's --no-render). */
  argsOf?: Record<string, string[]>
  /** A command one node runs under (see FarmOptions.prefix), by name, from the cluster's directory. */
  prefixOf?: Record<string, (root: string) => string[]>
}

export async function startCluster(names: string[], opts: ClusterOptions = {}): Promise<FarmProcess[]> {
  const root = await tempDir('farm-cluster-')
  const [first, ...rest] = names
  const firstHome = join(root, first!)
  const init = await runFarm([
    'init',
    '--home',
    firstHome,
    '--name',
    first!,
    '--owner',
    first!,
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
  ])
  if (init.exitCode !== 0) throw new Error(`farm init failed: ${init.all}`)
  const founder = await startNode(first!, firstHome, opts.argsOf?.[first!] ?? [], opts)
  const invite = String((await runFarm(['invite', '--home', firstHome])).stdout).trim()
  const others = await Promise.all(
    rest.map((name) =>
      startNode(
        name,
        join(root, name),
        [invite, '--name', name, '--owner', name, ...(opts.argsOf?.[name] ?? [])],
        opts,
      ),
    ),
  )
  const nodes = [founder, ...others]
  await waitFor(
    async () => {
      const peers = await Promise.all(nodes.map((n) => farmJson<unknown[]>(n, ['peers'])))
      return peers.every((p) => p.length === nodes.length - 1)
    },
    30_000,
    'the nodes to connect to each other',
  )
  return nodes
}

/** Starts (or restarts) `farm join` in home; resolves once its control socket answers. */
export async function startNode(
  name: string,
  home: string,
  args: string[],
  opts: ClusterOptions = {},
): Promise<FarmProcess> {
  let output = ''
  const proc = spawnFarm(
    [
      'join',
      ...args,
      '--home',
      home,
      '--headless',
      '--no-mdns',
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--wupm',
      '1',
      '--lease',
      String(opts.lease ?? 4),
      ...(opts.extraArgs ?? []),
    ],
    {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.prefixOf?.[name] ? { prefix: opts.prefixOf[name](dirname(home)) } : {}),
    },
  )
  proc.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const node: FarmProcess = { name, home, id: '', proc, log: () => output }
  running.add(node)
  await waitFor(
    async () => (await runFarm(['status', '--home', home, '--json'])).exitCode === 0,
    30_000,
    `${name} to start`,
  )
  node.id = (await farmJson<{ id: string }>(node, ['status'])).id
  return node
}

/** SIGTERM and wait, as a user's Ctrl-C would; SIGKILL if it hangs. */
export async function stopNode(node: FarmProcess): Promise<void> {
  if (!running.has(node)) return
  running.delete(node)
  node.proc.kill('SIGTERM')
  const timer = setTimeout(() => node.proc.kill('SIGKILL'), 15_000)
  await node.proc
  clearTimeout(timer)
}

/** kill -9, then the renderers it started: they run in their own process groups. */
export async function killNode(node: FarmProcess): Promise<void> {
  const children = childPids(node.proc.pid!)
  node.proc.kill('SIGKILL')
  await node.proc
  running.delete(node)
  for (const pid of children) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // Already gone with its frame.
    }
  }
}

/** The renderer processes a node runs now. */
export function renderersOf(node: FarmProcess): number[] {
  return childPids(node.proc.pid!)
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

export async function farmJson<T>(node: { home: string }, args: string[]): Promise<T> {
  const result = await runFarm([...args, '--home', node.home, '--json'])
  if (result.exitCode !== 0 && !result.stdout.trim().startsWith('{'))
    throw new Error(`farm ${args.join(' ')} exited ${result.exitCode}: ${result.all}`)
  return JSON.parse(result.stdout) as T
}

export function jobDetail(node: FarmProcess, job: string): Promise<JobDetail> {
  return farmJson<JobDetail>(node, ['status', job])
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
