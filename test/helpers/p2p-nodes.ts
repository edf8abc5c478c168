import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, afterEach, expect } from 'vitest'
import { exitOf, FARM_MAIN, type FarmChild, runFarm, spawnFarm, tempDir } from './farm.ts'

/** A `farm join` child process on 127.0.0.1 with mDNS off, and the lines it logged so far. */
export interface RunningNode {
  home: string
  child: FarmChild
  log: string[]
  id: string
  address: string
  stop(): Promise<number | undefined>
}

/** Nodes a test started, stopped after it; nodes a beforeAll started, stopped after the file. */
const running = new Set<FarmChild>()
const shared = new Set<FarmChild>()

async function killAll(children: Set<FarmChild>) {
  await Promise.all(
    [...children].map(async (child) => {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await child
      clearTimeout(timer)
    }),
  )
  children.clear()
}
afterEach(() => killAll(running))
afterAll(async () => {
  await killAll(running)
  await killAll(shared)
})

export async function newHome(name: string): Promise<string> {
  return join(await tempDir(`farm-p2p-${name}-`), 'home')
}

/** `farm init` on 127.0.0.1 only; returns the home. */
export async function initNode(name: string): Promise<string> {
  const home = await newHome(name)
  const result = await runFarm([
    'init',
    '--home',
    home,
    '--name',
    name,
    '--owner',
    'test',
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
  ])
  if (result.exitCode !== 0) throw new Error(`farm init failed: ${result.all}`)
  return home
}

/**
 * Starts `farm join` on 127.0.0.1 and waits for its "started" line. mDNS stays off unless the
 * node runs inside a network namespace the test made: `netns` is the command prefix entering it,
 * and `listen` may then name an address of that namespace.
 */
export async function startNode(
  home: string,
  extra: string[] = [],
  netns?: string[],
  listen = '/ip4/127.0.0.1/tcp/0',
): Promise<RunningNode> {
  // --wupm: these tests are about the swarm; a fresh home would otherwise benchmark POV-Ray first.
  const args = ['join', ...extra, '--home', home, '--headless', '--wupm', '1', '--listen', listen]
  const child =
    netns === undefined
      ? spawnFarm([...args, '--no-mdns'])
      : execa(netns[0]!, [...netns.slice(1), process.execPath, FARM_MAIN, ...args], {
          reject: false,
          all: true,
          buffer: false,
        })
  // Outside a test (in a beforeAll) the node serves every test of the file.
  const owner = expect.getState().currentTestName === undefined ? shared : running
  owner.add(child)
  const log: string[] = []
  let buffered = ''
  child.all?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    log.push(...lines)
  })
  const started = await waitFor(
    () => log.find((l) => / node \S+ started/.test(l)),
    `node in ${home} to start`,
    30_000,
    child,
  )
  const [, id, address] = / node (\S+) started, listening on (\S+)/.exec(started) ?? []
  return {
    home,
    child,
    log,
    id: id!,
    address: address!,
    async stop() {
      child.kill('SIGINT')
      const result = await child
      owner.delete(child)
      return result.exitCode
    },
  }
}

/** Polls `check` until it returns something truthy; fails with `what` and the child's output on timeout. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
  child?: FarmChild,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    const exit = child && exitOf(child)
    if (exit !== undefined) throw new Error(`gave up waiting for ${what}: the node exited ${exit}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

export async function ledgerOf(
  home: string,
): Promise<{ author: string; clock: Record<string, number>; entries: number; inSync: boolean }> {
  const result = await runFarm(['ledger', '--home', home, '--json'])
  if (result.exitCode !== 0) throw new Error(`farm ledger failed: ${result.all}`)
  return JSON.parse(result.stdout)
}

export async function peersOf(
  home: string,
): Promise<{ id: string; addresses: string[]; latencyMs?: number; path: string; relay?: string }[]> {
  const result = await runFarm(['peers', '--home', home, '--json'])
  if (result.exitCode !== 0) throw new Error(`farm peers failed: ${result.all}`)
  return JSON.parse(result.stdout)
}
