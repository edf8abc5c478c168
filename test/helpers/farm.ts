import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa, type Options, type ResultPromise } from 'execa'
import { afterAll } from 'vitest'

/** The built CLI, as `npm test` leaves it after scripts/setup.sh. */
export const FARM_MAIN = resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js')
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..')

/**
 * A node measures its WUPM at its first start unless told: tests tell it, so that no test waits
 * for (or is slowed by) a benchmark it does not look at.
 */
const TEST_ENV = { FARM_WUPM: '1' }

/** Runs `farm ...args` to completion under the test's own Node (22+); never throws on exit code. */
export function runFarm(args: string[], options: Options = {}) {
  return execa(process.execPath, [FARM_MAIN, ...args], {
    reject: false,
    all: true,
    env: TEST_ENV,
    ...options,
  })
}

/** Starts a long-running `farm` child (a node, a capture daemon); the caller stops it. */
export function spawnFarm(args: string[], options: Options = {}): ResultPromise {
  return execa(process.execPath, [FARM_MAIN, ...args], {
    reject: false,
    all: true,
    buffer: false,
    env: TEST_ENV,
    ...options,
  })
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
