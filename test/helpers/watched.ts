import { afterEach } from 'vitest'
import { type FarmChild, type FarmOptions, spawnFarm } from './farm.ts'

const running: FarmChild[] = []
afterEach(async () => {
  await Promise.all(
    running.splice(0).map((child) => {
      child.kill('SIGKILL')
      return child
    }),
  )
})

/**
 * A long-running `farm` child (a capture, a follower, a viewer) whose stdout and stderr the test
 * reads as they grow; killed after the test whatever happened to it.
 */
export function spawnWatched(
  args: string[],
  options: FarmOptions = {},
): { child: FarmChild; output: () => string } {
  const child = spawnFarm(args, options)
  running.push(child)
  let output = ''
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  return { child, output: () => output }
}
