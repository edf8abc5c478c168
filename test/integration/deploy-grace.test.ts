import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { exitOf, REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { type FarmProcess, jobDetail, renderersOf, startNode, waitFor } from '../helpers/farm-cluster.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')
/** Long enough that a claim held until its lease ran out would show: the test never waits that long. */
const LEASE_S = 60

/**
 * A worker told to stop (a spot VM's preemption notice, a pod's termination) with `--grace`: alpha
 * submits and stitches but renders nothing, so every frame is beta's, and alpha's ledger tells
 * what beta left behind when it exited.
 */
describe('a worker leaving within its grace period', () => {
  let alpha: FarmProcess
  let invite: string
  let betaHome: string
  beforeAll(async () => {
    const root = await tempDir('farm-grace-')
    const alphaHome = join(root, 'alpha')
    const init = await runFarm(['init', '--home', alphaHome, '--name', 'alpha', '--owner', 'studio'])
    expect(init.exitCode, String(init.all)).toBe(0)
    alpha = await startNode('alpha', alphaHome, ['--no-render'], { lease: LEASE_S })
    invite = String((await runFarm(['invite', '--home', alphaHome])).stdout).trim()
    betaHome = join(root, 'beta')
  }, 60_000)

  async function startBeta(grace: string): Promise<FarmProcess> {
    const args = ['--grace', grace, '--name', 'beta', '--owner', 'studio']
    const beta = await startNode('beta', betaHome, [invite, ...args], { lease: LEASE_S })
    await waitFor(async () => (await runFarm(['peers', '--home', betaHome])).exitCode === 0, 10_000, 'beta')
    return beta
  }

  async function submit(args: string[]): Promise<string> {
    const result = await runFarm(['submit', ORBIT, ...args, '--home', alpha.home])
    expect(result.exitCode, String(result.all)).toBe(0)
    return String(result.stdout).trim()
  }

  /** Processes (renderers) still working in a home: their arguments name its jobs folder. */
  function processesIn(home: string): string[] {
    const found = spawnSync('pgrep', ['-a', '-f', join(home, 'jobs')], { encoding: 'utf8' })
    return found.stdout.split('\n').filter(Boolean)
  }

  /**
   * SIGTERM, as Kubernetes and a preempted VM send it; the milliseconds until the process exited.
   * Sent with process.kill: execa's own kill() follows up with SIGKILL after 5 s, which would cut
   * the grace period short (and orphan the renderers) instead of testing it.
   */
  async function terminate(node: FarmProcess, graceMs: number): Promise<number> {
    const sent = Date.now()
    process.kill(node.proc.pid!, 'SIGTERM')
    const hung = setTimeout(() => process.kill(node.proc.pid!, 'SIGKILL'), graceMs + 10_000)
    await node.proc
    clearTimeout(hung)
    expect(exitOf(node.proc)).toBe(0)
    const took = Date.now() - sent
    process.stderr.write(`deploy-grace: exited ${took} ms after SIGTERM, grace ${graceMs} ms\n`)
    return took
  }

  it('finishes what it can, hands the frames over to the stitcher, releases the rest and exits in time', async () => {
    const beta = await startBeta('10s')
    const job = await submit(['--frames', '1-30', '--size', '320x240', '--name', 'leaving'])
    await waitFor(
      async () => (await jobDetail(alpha, job)).frames.filter((f) => f.status === 'verified').length >= 3,
      60_000,
      'beta to render a few frames',
    )
    const before = await jobDetail(alpha, job)
    const held = before.frames.filter((f) => f.status === 'claimed' && f.worker === beta.id)
    expect(held.length).toBeGreaterThan(0)
    const verifiedBefore = before.frames.filter((f) => f.status === 'verified').length

    expect(await terminate(beta, 10_000)).toBeLessThan(10_000)
    expect(processesIn(betaHome)).toEqual([])
    // What alpha holds the moment beta is gone: nothing of beta's left to wait out a lease on, and
    // every frame beta rendered already fetched and verified, none to render again.
    const after = await jobDetail(alpha, job)
    expect(after.frames.filter((f) => f.status === 'claimed' && f.worker === beta.id)).toEqual([])
    expect(after.frames.filter((f) => f.status === 'rendered')).toEqual([])
    expect(after.frames.filter((f) => f.status === 'verified').length).toBeGreaterThan(verifiedBefore)
    expect(beta.log()).toMatch(/SIGTERM: stopping within 10s/)
    expect(beta.log()).not.toMatch(/grace period of \d+ ms is over/)
  }, 120_000)

  it('releases a frame that cannot finish in time at once, and says so', async () => {
    const beta = await startBeta('6s')
    const job = await submit(['--frames', '1-1', '--size', '2400x1800', '--name', 'too-long'])
    await waitFor(
      async () =>
        (await jobDetail(alpha, job)).frames[0]!.status === 'claimed' && renderersOf(beta).length > 0,
      60_000,
      'beta to start rendering the frame',
    )
    expect(await terminate(beta, 6_000)).toBeLessThan(6_000)
    expect(processesIn(betaHome)).toEqual([])
    const frame = (await jobDetail(alpha, job)).frames[0]!
    expect(frame.status).toBe('open')
    expect(beta.log()).toMatch(/stopped frame 1 of \w+: the node is stopping and its grace period is over/)
  }, 120_000)
})
