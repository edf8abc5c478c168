import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll } from 'vitest'

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..')
/** The built CLI, as `npm test` leaves it after scripts/setup.sh: what a user runs. */
export const FARM_MAIN = resolve(REPO_ROOT, 'dist', 'cli', 'main.js')
/** The CLI's source: Node 22 strips its types, so a unit test can run it with no build. */
export const FARM_SOURCE = resolve(REPO_ROOT, 'src', 'cli', 'main.ts')

/**
 * A node measures its WUPM at its first start unless told: tests tell it, so that no test waits
 * for (or is slowed by) a benchmark it does not look at.
 */
const TEST_ENV = { FARM_WUPM: '1' }

/**
 * What a test may set for one `farm` child. How its output is collected is fixed by runFarm and
 * spawnFarm, so that their results have exact types (stdout a string, or a stream).
 */
export interface FarmOptions {
  cwd?: string
  /** Replaces TEST_ENV (and still extends process.env). */
  env?: Record<string, string>
  stdin?: 'ignore'
  timeout?: number
  /** The entry point to run: FARM_MAIN unless a test says otherwise. */
  main?: string
  /** A command the child runs under (`bwrap ...`), with Node and the entry point as its arguments. */
  prefix?: string[]
}

function command(main: string, args: string[], prefix: string[] = []): [string, string[]] {
  const [file, ...rest] = [...prefix, process.execPath, main, ...args]
  return [file!, rest]
}

/** Runs `farm ...args` to completion under the test's own Node (22+); never throws on exit code. */
export function runFarm(args: string[], { main = FARM_MAIN, prefix, ...options }: FarmOptions = {}) {
  return execa(...command(main, args, prefix), { reject: false, all: true, env: TEST_ENV, ...options })
}

/**
 * Starts a long-running `farm` child (a node, a capture daemon); the caller stops it. execa's
 * own SIGKILL 5 s after a SIGTERM is off: a node stopping gracefully (`--grace`) may take longer,
 * and the caller decides when to give up.
 */
export function spawnFarm(args: string[], { main = FARM_MAIN, prefix, ...options }: FarmOptions = {}) {
  return execa(...command(main, args, prefix), {
    reject: false,
    all: true,
    buffer: false,
    forceKillAfterDelay: false,
    env: TEST_ENV,
    ...options,
  })
}

/** A `farm` child started by spawnFarm. */
export type FarmChild = ReturnType<typeof spawnFarm>

/**
 * The child's exit code or signal once it has exited, else undefined. execa 10's subprocess has no
 * `exitCode` of its own: it is on the Node ChildProcess underneath.
 */
export function exitOf(child: { nodeChildProcess: ChildProcess }): number | NodeJS.Signals | undefined {
  const { exitCode, signalCode } = child.nodeChildProcess
  return exitCode ?? signalCode ?? undefined
}

const made: string[] = []
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A fresh temp directory, removed after the test file. */
export async function tempDir(prefix = 'farm-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })
}
