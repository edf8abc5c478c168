import { join } from 'node:path'
import { execa } from 'execa'
import { expect } from 'vitest'
import { checkFrame, frameFileName } from '../../src/render/index.ts'
import { runFarm, tempDir } from './farm.ts'
import { type FarmProcess, waitFor } from './farm-cluster.ts'
import { probeVideo } from './render-video.ts'

/** What the farm's job tests do as a user would: submit, fetch the video, compare with `farm render`. */

export async function submit(node: FarmProcess, args: string[]): Promise<string> {
  const result = await runFarm(['submit', ...args, '--home', node.home])
  expect(result.exitCode, String(result.all)).toBe(0)
  const id = String(result.stdout).trim()
  expect(id).toMatch(/^[0-9a-f]{64}$/)
  return id
}

/** `farm fetch` until the job is stitched; the video's path. */
export async function fetchVideo(node: FarmProcess, job: string, timeoutMs = 120_000): Promise<string> {
  const out = join(await tempDir(), 'video.mp4')
  try {
    await waitFor(
      async () => (await runFarm(['fetch', job, '-o', out, '--home', node.home])).exitCode === 0,
      timeoutMs,
      `job ${job.slice(0, 8)} to be stitched`,
    )
  } catch (err) {
    // Say where the job stood: a CI log shows only this message.
    const status = await runFarm(['status', job, '--home', node.home])
    const warnings = node
      .log()
      .split('\n')
      .filter((line) => /warn|error/i.test(line))
      .slice(-20)
    throw new Error(
      `${(err as Error).message}; farm status said:\n${String(status.all)}\n${node.name}'s last warnings:\n${warnings.join('\n')}`,
    )
  }
  return out
}

export async function videoInfo(file: string) {
  const { frames, width, height } = await probeVideo(file)
  return { frames, width, height }
}

/** One md5 per decoded frame: equal lists mean pixel-identical videos. */
export async function frameDigests(file: string): Promise<string[]> {
  const { stdout } = await execa('ffmpeg', ['-v', 'error', '-i', file, '-f', 'framemd5', '-'])
  return stdout
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim())
}

/** The pixel hashes of a local `farm render` of the same frames, and its video. */
export async function renderLocally(scene: string, frames: string, size: string) {
  const out = await tempDir()
  const result = await runFarm(['render', scene, '--frames', frames, '--size', size, '--out', out])
  expect(result.exitCode, String(result.all)).toBe(0)
  const [first, last] = frames.split('-').map(Number) as [number, number]
  const hashes: string[] = []
  for (let n = first; n <= last; n++) hashes.push((await checkFrame(join(out, frameFileName(n)))).pixelHash)
  return { hashes, video: String(result.stdout).trim() }
}
