import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobSummary, WorkerSummary } from '../../src/farm/index.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { type FarmProcess, farmJson, jobDetail, startNode, waitFor } from '../helpers/farm-cluster.ts'

/**
 * Owners' control of their machines, on real nodes: hours, --when-idle against a real busy
 * loop, pause and resume, switching one's own nodes from another, a price floor, and the one
 * reason a job nobody renders gives in `farm status` and `farm jobs`.
 *
 * The machine running the tests is shared, so its load says nothing: `FARM_IDLE_ONLY` makes the
 * --when-idle node count only processes whose command line holds this file's tag (the load
 * generator below), and `FARM_IDLE_BELOW` lowers the share of the cores that counts as busy
 * (the default is a quarter): the two test-only knobs of the idle check.
 */
const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')
const TOP = join(REPO_ROOT, 'examples', 'blender', 'spinning-top.blend')
const TAG = `farm-owners-load-${process.pid}`
process.env.FARM_IDLE_ONLY = TAG
// A busy loop gets a small share of two cores that other tests keep busy: any share of it is load.
process.env.FARM_IDLE_BELOW = '0.02'

/** Local hours that exclude now: from two hours ahead to three hours ahead. */
function hoursNotNow(): string {
  const at = (h: number) => {
    const d = new Date(Date.now() + h * 3600_000)
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
  }
  return `${at(2)}-${at(3)}`
}

async function submit(node: FarmProcess, args: string[]): Promise<string> {
  const result = await runFarm(['submit', ...args, '--home', node.home])
  expect(result.exitCode, String(result.all)).toBe(0)
  return String(result.stdout).trim()
}

async function stitched(node: FarmProcess, job: string): Promise<void> {
  await waitFor(
    async () => (await jobDetail(node, job)).status === 'stitched',
    90_000,
    `job ${job.slice(0, 8)} to be stitched`,
  )
}

async function worker(node: FarmProcess, name: string): Promise<WorkerSummary> {
  const workers = await farmJson<WorkerSummary[]>(node, ['workers'])
  return workers.find((w) => w.name === name)!
}

/** Who rendered each frame of a finished job. */
async function renderers(node: FarmProcess, job: string): Promise<Set<string>> {
  return new Set((await jobDetail(node, job)).frames.map((f) => f.worker ?? ''))
}

describe('owners control their machines', () => {
  let alpha: FarmProcess
  let beta: FarmProcess
  let night: FarmProcess
  let desk: FarmProcess
  let load: ReturnType<typeof execa> | undefined

  beforeAll(async () => {
    const root = await tempDir('farm-owners-')
    const init = await runFarm([
      ...['init', '--home', join(root, 'alpha'), '--name', 'alpha', '--owner', 'ana'],
      ...['--listen', '/ip4/127.0.0.1/tcp/0'],
    ])
    expect(init.exitCode, String(init.all)).toBe(0)
    alpha = await startNode('alpha', join(root, 'alpha'), ['--no-render'])
    const invite = String((await runFarm(['invite', '--home', alpha.home])).stdout).trim()
    const join_ = (name: string, owner: string, extra: string[]) =>
      startNode(name, join(root, name), [
        ...[invite, '--name', name, '--owner', owner, '--renderers', 'povray', '--jobs', '1'],
        ...['--min-price', '0.5', ...extra],
      ])
    // One after the other: three node starts at once on two busy cores outlast startNode's wait.
    beta = await join_('beta', 'ben', [])
    night = await join_('night', 'ana', ['--schedule', hoursNotNow()])
    desk = await join_('desk', 'ana', ['--when-idle', '--max-cores', '1'])
    await waitFor(
      async () => (await farmJson<unknown[]>(alpha, ['peers'])).length === 3,
      30_000,
      'the workers to connect',
    )
  }, 240_000)

  afterAll(() => {
    load?.kill('SIGKILL')
  })

  it('a worker outside its hours claims nothing; the others render the job', async () => {
    const job = await submit(alpha, [ORBIT, '--frames', '1-8', '--size', '64x48'])
    await stitched(alpha, job)
    const by = await renderers(alpha, job)
    expect(by.has(night.id)).toBe(false)
    expect(by.has(beta.id) || by.has(desk.id)).toBe(true)
    const nightRow = await worker(alpha, 'night')
    expect(nightRow.availability).toBe('off-hours')
    expect(nightRow.frames).toBe(0)
    expect((await worker(alpha, 'desk')).cores).toBe(1)
  })

  it('--when-idle stops claiming once a load starts; a job everyone is off for says why; resume renders it', async () => {
    load = execa(process.execPath, ['-e', 'for (;;);', TAG], { reject: false })
    await waitFor(
      async () => (await worker(alpha, 'desk')).availability === 'busy',
      20_000,
      'desk to notice the load and mark itself busy',
    )
    const paused = await runFarm(['pause', '--home', beta.home])
    expect(paused.exitCode, String(paused.all)).toBe(0)
    expect((await worker(alpha, 'beta')).availability).toBe('paused')

    const job = await submit(alpha, [ORBIT, '--frames', '1-6', '--size', '64x48'])
    await waitFor(
      async () => (await jobDetail(alpha, job)).stalled?.includes('paused, busy or outside') === true,
      20_000,
      'farm status to say why nobody renders it',
    )
    const status = await runFarm(['status', job, '--home', alpha.home])
    expect(status.stdout).toContain(
      'waiting: every worker that accepted it is paused, busy or outside its schedule (1 paused, 1 busy',
    )
    expect((await runFarm(['jobs', '--home', alpha.home])).stdout).toContain('1 outside their hours')
    expect((await jobDetail(alpha, job)).progress.open).toBe(6)

    const resumed = await runFarm(['resume', '--home', beta.home])
    expect(resumed.exitCode, String(resumed.all)).toBe(0)
    await stitched(alpha, job)
    const by = await renderers(alpha, job)
    expect([...by]).toEqual([beta.id])
    load.kill('SIGKILL')
    await load
  })

  it('an owner switches their own nodes from any of them, and no one else', async () => {
    const off = await runFarm(['workers', '--disable', 'night', '--home', desk.home])
    expect(off.exitCode, String(off.all)).toBe(0)
    await waitFor(
      async () => (await worker(alpha, 'night')).availability === 'paused',
      10_000,
      'alpha to see night switched off by desk',
    )
    const refused = await runFarm(['workers', '--disable', 'desk', '--home', beta.home])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('node desk belongs to ana, not ben')
    const on = await runFarm(['workers', '--enable', 'night', '--home', alpha.home])
    expect(on.exitCode, String(on.all)).toBe(0)
    await waitFor(
      async () => (await worker(beta, 'night')).availability === 'off-hours',
      10_000,
      'night on again (and still outside its hours)',
    )
  })

  it('a job below every worker’s price floor, or for a renderer no one has, says why', async () => {
    const cheap = await submit(alpha, [ORBIT, '--frames', '1-4', '--size', '64x48', '--price', '0.1'])
    const blender = await submit(alpha, [TOP, '--frames', '1-2', '--size', '64x48'])
    await waitFor(
      async () => {
        const jobs = await farmJson<JobSummary[]>(alpha, ['jobs'])
        const of = (id: string) => jobs.find((j) => j.id === id)?.stalled ?? ''
        return (
          of(cheap).startsWith('no worker accepted it') && of(blender).startsWith('no worker has blender')
        )
      },
      20_000,
      'farm jobs to say why the two jobs wait',
    )
    await runFarm(['cancel', cheap, '--home', alpha.home])
    await runFarm(['cancel', blender, '--home', alpha.home])
  })
})
