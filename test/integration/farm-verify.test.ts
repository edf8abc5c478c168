import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Credits, WorkerSummary } from '../../src/farm/index.ts'
import { blackeningEnv } from '../helpers/cheats.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { type FarmProcess, farmJson, jobDetail, startCluster, startNode } from '../helpers/farm-cluster.ts'
import { fetchVideo, frameDigests, renderLocally, submit } from '../helpers/farm-jobs.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')

/**
 * Two honest nodes (alpha submits, verifies and stitches; beta renders) and two cheats: gamma's
 * `povray` blackens every image it renders, delta claims ten times its speed (so ten times the
 * WU of each frame). One swarm for the file.
 */
describe('verification by re-rendering a sample', () => {
  let alpha: FarmProcess
  let beta: FarmProcess
  let gamma: FarmProcess
  let delta: FarmProcess
  beforeAll(async () => {
    ;[alpha, beta] = (await startCluster(['alpha', 'beta'])) as [FarmProcess, FarmProcess]
    const root = await tempDir('farm-cheats-')
    const invite = String((await runFarm(['invite', '--home', alpha.home])).stdout).trim()
    ;[gamma, delta] = await Promise.all([
      startNode('gamma', join(root, 'gamma'), [invite, '--name', 'gamma', '--owner', 'gamma'], {
        env: await blackeningEnv(),
      }),
      startNode('delta', join(root, 'delta'), [invite, '--name', 'delta', '--owner', 'delta'], {
        extraArgs: ['--wupm', '10'],
      }),
    ])
  }, 240_000)

  it('catches both cheats in their first frames, blocks them, pays them nothing, and the video is right', async () => {
    const job = await submit(alpha, [ORBIT, '--frames', '1-12', '--size', '64x48', '--budget', '1000'])
    // On a timeout, the job's status says which frame waits for what.
    const video = await fetchVideo(alpha, job, 150_000).catch(async (err: Error) => {
      const status = String((await runFarm(['status', job, '--home', alpha.home])).stdout)
      throw new Error(`${err.message}\n${status}`)
    })
    const local = await renderLocally(ORBIT, '1-12', '64x48')
    expect(await frameDigests(video)).toEqual(await frameDigests(local.video))
    const detail = await jobDetail(alpha, job)
    expect(detail.frames.map((f) => f.pixelHash)).toEqual(local.hashes)
    const v = detail.verification

    for (const [cheat, kind] of [
      [gamma, 'pixels'],
      [delta, 'wu'],
    ] as const) {
      const caught = v.mismatches.filter((m) => m.worker === cheat.id)
      expect(
        detail.frames.some((f) => f.worker === cheat.id),
        `${cheat.name}'s frame is in the video`,
      ).toBe(false)
      if (caught.length === 0) continue
      for (const m of caught) expect(m).toMatchObject({ kind, verifier: alpha.id })
      // Settled by a third render from neither side; its other disputes are then moot.
      const ruled = caught.filter((m) => m.ruling === 'cheat')
      expect(ruled.length, `${cheat.name} was not ruled a cheat`).toBeGreaterThan(0)
      for (const m of ruled) expect([cheat.id, alpha.id]).not.toContain(m.third?.worker)
      if (kind === 'pixels') for (const m of caught) expect(m.pixelHash).not.toBe(m.verifierHash)
      expect(v.earnings.find((e) => e.worker === cheat.id)).toBeUndefined()
    }
    expect(v.mismatches.some((m) => m.worker === gamma.id && m.ruling === 'cheat')).toBe(true)

    const credits = await farmJson<Credits>(alpha, ['credits'])
    const balance = (node: FarmProcess) => credits.balances.find((b) => b.id === node.id)?.balance ?? 0
    expect(balance(gamma)).toBe(0)
    expect(balance(delta)).toBe(0)
    // Honest work is paid for what was verified: at 1 credit per WU, never above what it reported.
    const betaEarned = v.earnings.find((e) => e.worker === beta.id)
    expect(betaEarned?.amount ?? 0).toBeGreaterThan(0)
    expect(balance(beta)).toBe(betaEarned!.amount)
    expect(betaEarned!.amount).toBeLessThanOrEqual(betaEarned!.reportedMilliWU)
    expect(v.spent).toBe(v.earnings.reduce((sum, e) => sum + e.amount, 0))
    // The budget's rest came back at settlement; every credit is still there.
    expect(v.escrow).toBe(0)
    expect(credits.balances.reduce((sum, b) => sum + b.balance, 0) + credits.escrow).toBe(credits.granted)
    expect(v.checked).toBeGreaterThanOrEqual(2)

    const status = String((await runFarm(['status', job.slice(0, 8), '--home', beta.home])).stdout)
    expect(status).toMatch(
      /mismatch on frame \d+ by gamma: its pixels [0-9a-f]{12} against the verifier's [0-9a-f]{12}/,
    )
    expect(status).toContain('gamma is blocked from the job and earns nothing for it')
    const workers = await farmJson<WorkerSummary[]>(beta, ['workers'])
    expect(workers.find((w) => w.id === gamma.id)?.cheatedOn).toEqual([job])
    expect(workers.find((w) => w.id === beta.id)).toMatchObject({ mismatches: 0, cheatedOn: [] })
    const table = String((await runFarm(['workers', '--home', beta.home])).stdout)
    expect(table).toMatch(/gamma .* mismatch\(es\), blocked from 1 job\(s\) as a cheat/)
  }, 300_000)

  it('reprices a running job from the CLI, only by its payer', async () => {
    const job = await submit(beta, [ORBIT, '--frames', '1-400', '--size', '32x24', '--price', '2'])
    const missing = await runFarm(['reprice', job, '--home', beta.home])
    expect(missing.exitCode).toBe(2)
    expect(String(missing.stderr)).toContain('--price')
    const foreign = await runFarm(['reprice', job, '--price', '9', '--home', alpha.home])
    expect(foreign.exitCode).toBe(2)
    const ok = await runFarm(['reprice', job.slice(0, 10), '--price', '7', '--home', beta.home])
    expect(ok.exitCode, String(ok.all)).toBe(0)
    expect(String(ok.stderr)).toContain('now pays 7 credits per WU')
    const status = String((await runFarm(['status', job.slice(0, 10), '--home', beta.home])).stdout)
    expect(status).toContain('price 7.000 cr per WU')
    expect((await runFarm(['cancel', job, '--home', beta.home])).exitCode).toBe(0)
  }, 60_000)
})
