import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { WorkerSummary } from '../../src/farm/index.ts'
import { checkFrame, frameFileName } from '../../src/render/index.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import {
  type FarmProcess,
  farmJson,
  jobDetail,
  startCluster,
  startNode,
  waitFor,
} from '../helpers/farm-cluster.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')
const TOP = join(REPO_ROOT, 'examples', 'blender', 'spinning-top.blend')

/** A Blender that says it is 9.1.0 and renders with the real one: another install, as far as the farm can tell. */
const OTHER_BLENDER = `#!/bin/sh
if [ "$1" = "--version" ]; then echo "Blender 9.1.0"; exit 0; fi
exec blender "$@"
`

async function submit(node: FarmProcess, args: string[]): Promise<string> {
  const result = await runFarm(['submit', ...args, '--home', node.home])
  expect(result.exitCode, String(result.all)).toBe(0)
  return String(result.stdout).trim()
}

/** `farm fetch` until the job is stitched; the fetched file. */
async function fetched(node: FarmProcess, job: string, name: string, timeoutMs = 150_000): Promise<string> {
  const out = join(await tempDir(), name)
  await waitFor(
    async () => (await runFarm(['fetch', job, '-o', out, '--home', node.home])).exitCode === 0,
    timeoutMs,
    `job ${job.slice(0, 8)} to be stitched`,
  )
  return out
}

/** The pixel hash of frame `frame` of a local `farm render` of the scene. */
async function renderedLocally(scene: string, frame: number, size: string): Promise<string> {
  const out = await tempDir()
  const result = await runFarm([
    'render',
    scene,
    '--frames',
    `${frame}-${frame}`,
    '--size',
    size,
    '--out',
    out,
  ])
  expect(result.exitCode, String(result.all)).toBe(0)
  return (await checkFrame(join(out, frameFileName(frame)))).pixelHash
}

describe('renderer versions and stills in tiles, on two nodes', () => {
  let alpha: FarmProcess
  let beta: FarmProcess
  beforeAll(async () => {
    const dir = await tempDir()
    const other = join(dir, 'blender-9.1')
    await writeFile(other, OTHER_BLENDER)
    await chmod(other, 0o755)
    alpha = (await startCluster(['alpha']))[0]!
    const invite = String((await runFarm(['invite', '--home', alpha!.home])).stdout).trim()
    beta = await startNode('beta', join(dir, 'beta'), [
      invite,
      '--name',
      'beta',
      '--owner',
      'beta',
      '--blender',
      other,
    ])
    await waitFor(
      async () => (await farmJson<WorkerSummary[]>(alpha, ['workers'])).length === 2,
      30_000,
      'beta to be described in the ledger',
    )
  }, 90_000)

  it('announces each Blender with its version, and a pinned job goes only to workers of that version', async () => {
    const workers = await farmJson<WorkerSummary[]>(alpha, ['workers'])
    expect(workers.find((w) => w.name === 'beta')?.renderers).toContain('blender 9.1.0')
    expect(workers.find((w) => w.name === 'alpha')?.renderers).toContain('blender 3.4.1')
    // Pinned to alpha's own Blender by default, and to beta's by --renderer-version.
    const own = await submit(alpha, [TOP, '--frames', '1-2', '--size', '32x24'])
    const other = await submit(alpha, [
      TOP,
      '--frames',
      '1-2',
      '--size',
      '32x24',
      '--renderer-version',
      '9.1',
    ])
    expect((await farmJson<{ rendererVersion: string }>(alpha, ['status', own])).rendererVersion).toBe(
      '3.4.1',
    )
    await fetched(alpha, own, 'own.mp4')
    await fetched(alpha, other, 'other.mp4')
    expect((await jobDetail(alpha, own)).frames.map((f) => f.worker)).toEqual([alpha.id, alpha.id])
    expect((await jobDetail(alpha, other)).frames.map((f) => f.worker)).toEqual([beta.id, beta.id])
  }, 240_000)

  it('splits a POV-Ray still into 4x4 tiles across the farm, and the PNG is the whole-frame render', async () => {
    const job = await submit(alpha, [ORBIT, '--frames', '7-7', '--size', '64x48', '--tiles', '4x4'])
    const png = await fetched(alpha, job, 'orbit.png')
    const detail = await jobDetail(alpha, job)
    expect(detail.still).toEqual({ frame: 7, tiles: '4x4' })
    expect(detail.frames).toHaveLength(16)
    expect(new Set(detail.frames.map((f) => f.worker))).toEqual(new Set([alpha.id, beta.id]))
    const still = await checkFrame(png, { width: 64, height: 48 })
    expect(still.pixelHash).toBe(await renderedLocally(ORBIT, 7, '64x48'))
  }, 180_000)

  it('splits a Cycles still into tiles on both Blenders with --any-version, identical to the whole frame', async () => {
    const job = await submit(alpha, [
      TOP,
      '--frames',
      '7-7',
      '--size',
      '64x48',
      '--tiles',
      '2x2',
      '--any-version',
    ])
    const png = await fetched(alpha, job, 'top.png', 200_000)
    expect(new Set((await jobDetail(alpha, job)).frames.map((f) => f.worker))).toEqual(
      new Set([alpha.id, beta.id]),
    )
    const still = await checkFrame(png, { width: 64, height: 48 })
    expect(still.pixelHash).toBe(await renderedLocally(TOP, 7, '64x48'))
  }, 240_000)

  it('refuses tiles of more than one frame, grids finer than the image and made-up versions, with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--frames', '1-3', '--tiles', '2x2'], /--tiles splits one frame, not 1-3/],
      [['--frames', '7-7', '--size', '8x6', '--tiles', '16x2'], /more tiles than the 8x6 image/],
      [['--frames', '7-7', '--tiles', '4by4'], /tiles '4by4' is not COLUMNSxROWS/],
      [['--frames', '1-2', '--renderer-version', 'latest'], /--renderer-version 'latest' is not a version/],
    ]
    for (const [args, message] of cases) {
      const result = await runFarm(['submit', ORBIT, ...args, '--home', alpha.home])
      expect(result.exitCode, String(result.all)).toBe(2)
      expect(String(result.stderr)).toMatch(message)
    }
  })
})
