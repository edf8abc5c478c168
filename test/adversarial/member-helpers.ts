import { join } from 'node:path'
import { execa } from 'execa'
import { afterEach } from 'vitest'
import { REPO_ROOT, runFarm } from '../helpers/farm.ts'
import { initNode, newHome, type RunningNode, startNode, waitFor } from '../helpers/p2p-nodes.ts'

/** Real nodes on 127.0.0.1 for the membership attacks, and the rogue (member-rogue.ts) that attacks them. */
const ROGUE = join(REPO_ROOT, 'test', 'adversarial', 'member-rogue.ts')

export interface Rogue {
  id: string
  home: string
  output: () => string
  /** Tells a flooding rogue to write its second batch. */
  again: () => void
}

const rogues = new Set<ReturnType<typeof execa>>()
afterEach(async () => {
  await Promise.all(
    [...rogues].map(async (child) => {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await child
      clearTimeout(timer)
    }),
  )
  rogues.clear()
})

export async function startRogue(mode: 'stranger' | 'flood' | 'forge', invite: string, extra: string[] = []) {
  const home = await newHome(`rogue-${mode}`)
  const child = execa(process.execPath, [ROGUE, mode, invite, home, ...extra], {
    reject: false,
    all: true,
    buffer: false,
    env: { FARM_WUPM: '1' },
  })
  rogues.add(child)
  let output = ''
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const id = await waitFor(() => /rogue ready (\S+)/.exec(output)?.[1], 'the rogue to start', 60_000)
  // A line on its stdin tells a flooding rogue to write its second batch (once it has been cut off).
  const again = () => void child.stdin?.write('again\n')
  return { id, home, output: () => output, again } satisfies Rogue
}

/** A founder and one member it admitted, connected: the honest swarm every attack runs against. */
export async function honestPair(): Promise<{ a: RunningNode; b: RunningNode; invite: string }> {
  const a = await startNode(await initNode('a'))
  const invite = await inviteOf(a)
  const b = await startNode(await newHome('b'), [invite, '--name', 'b'])
  return { a, b, invite }
}

export async function inviteOf(node: { home: string }, extra: string[] = []): Promise<string> {
  const result = await runFarm(['invite', '--home', node.home, ...extra])
  if (result.exitCode !== 0) throw new Error(`farm invite failed: ${result.all}`)
  return result.stdout.trim()
}

export async function jsonOf<T>(node: { home: string }, args: string[]): Promise<T> {
  const result = await runFarm([...args, '--home', node.home, '--json'])
  if (result.exitCode !== 0) throw new Error(`farm ${args.join(' ')} failed: ${result.all}`)
  return JSON.parse(result.stdout) as T
}

export const jobNames = async (node: { home: string }) =>
  (await jsonOf<{ name: string }[]>(node, ['jobs'])).map((j) => j.name)

export const balanceOf = async (node: { home: string }, id: string) =>
  (await jsonOf<{ balances: { id: string; balance: number }[] }>(node, ['credits'])).balances.find(
    (b) => b.id === id,
  )?.balance ?? 0

/** `farm join` flags every test node gets: loopback, no mDNS, no benchmark. */
export const JOIN_FLAGS = ['--headless', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--wupm', '1']
