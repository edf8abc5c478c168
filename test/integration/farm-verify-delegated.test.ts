import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Credits } from '../../src/farm/index.ts'
import { blackeningEnv } from '../helpers/cheats.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { type FarmProcess, farmJson, jobDetail, startCluster, startNode } from '../helpers/farm-cluster.ts'
import { fetchVideo, frameDigests, renderLocally, submit } from '../helpers/farm-jobs.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')

/**
 * A stitcher that renders nothing (alpha, `--no-render`) cannot re-render a frame to check it:
 * it has the check rendered by a worker that accepted the job (beta or delta), never by the
 * worker checked. Gamma's `povray` blackens every image.
 */
describe('verification delegated by a stitcher that renders nothing', () => {
  let alpha: FarmProcess
  let beta: FarmProcess
  let delta: FarmProcess
  let gamma: FarmProcess
  beforeAll(async () => {
    ;[alpha, beta, delta] = (await startCluster(['alpha', 'beta', 'delta'], {
      argsOf: { alpha: ['--no-render'] },
    })) as [FarmProcess, FarmProcess, FarmProcess]
    const root = await tempDir('farm-delegated-')
    const invite = String((await runFarm(['invite', '--home', alpha.home])).stdout).trim()
    gamma = await startNode('gamma', join(root, 'gamma'), [invite, '--name', 'gamma', '--owner', 'gamma'], {
      env: await blackeningEnv(),
    })
  }, 240_000)

  it('catches the cheat with a worker’s render, pays it nothing, and the video is right', async () => {
    const job = await submit(alpha, [ORBIT, '--frames', '1-10', '--size', '64x48', '--budget', '1000'])
    const video = await fetchVideo(alpha, job, 200_000)
    const local = await renderLocally(ORBIT, '1-10', '64x48')
    expect(await frameDigests(video)).toEqual(await frameDigests(local.video))
    const detail = await jobDetail(alpha, job)
    const v = detail.verification
    expect(
      detail.frames.some((f) => f.worker === gamma.id),
      "gamma's frame is in the video",
    ).toBe(false)
    expect(v.earnings.find((e) => e.worker === gamma.id)).toBeUndefined()
    const caught = v.mismatches.filter((m) => m.worker === gamma.id)
    expect(caught.length, 'gamma was not caught').toBeGreaterThan(0)
    // The check was a worker's render, never alpha's (it renders nothing) nor gamma's own.
    for (const m of caught) {
      expect([beta.id, delta.id]).toContain(m.verifier)
      expect(m.pixelHash).not.toBe(m.verifierHash)
    }
    const ruled = caught.find((m) => m.ruling === 'cheat')
    expect(ruled, 'gamma was not ruled a cheat').toBeDefined()
    expect([alpha.id, gamma.id, ruled!.verifier]).not.toContain(ruled!.third?.worker)
    expect(v.checked).toBeGreaterThanOrEqual(2)

    const credits = await farmJson<Credits>(alpha, ['credits'])
    expect(credits.balances.find((b) => b.id === gamma.id)?.balance ?? 0).toBe(0)
    expect(credits.balances.reduce((sum, b) => sum + b.balance, 0) + credits.escrow).toBe(credits.granted)
    const status = String((await runFarm(['status', job.slice(0, 8), '--home', alpha.home])).stdout)
    expect(status).toMatch(
      new RegExp(
        `mismatch on frame \\d+ by gamma: .*\\(verifier (${beta.id.slice(-6)}|${delta.id.slice(-6)})\\)`,
      ),
    )
  }, 300_000)
})
