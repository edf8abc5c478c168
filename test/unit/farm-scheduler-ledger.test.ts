import { describe, expect, it } from 'vitest'
import { eventsOfEntries } from '../../src/farm/events/ledger-events.ts'
import { nextClaim, nextClaims, type SchedulerInput } from '../../src/farm/schedule/scheduler.ts'
import { blockedWorker, type Entry, frameStatus, type Ledger } from '../../src/ledger/index.ts'
import { hex, jobBody, newLedger, syncInto } from './ledger-fixtures.ts'

const node = (name: string) => ({
  name,
  owner: name,
  renderers: [{ name: 'povray', version: '3.7' }],
  cores: 2,
  wupm: 1,
})

/** Two workers that both accepted a 4-frame job of `a`'s, each holding the other's entries. */
async function twoWorkers(now: () => number) {
  const a = await newLedger({ now })
  const b = await newLedger({ now })
  await a.append('node', node('a'))
  await b.append('node', node('b'))
  const job = (await a.append('job', jobBody(a.author))).hash
  await a.append('accept', { job })
  await b.append('accept', { job })
  await syncInto(a, b)
  await syncInto(b, a)
  return { a, b, job }
}

/** What `ledger`'s node sees at `now`, connected to `live`. */
const seen = (ledger: Ledger, now: number, live: string[]): SchedulerInput => ({
  state: ledger.state(),
  now,
  live: new Set(live),
})

describe('the scheduler over a ledger', () => {
  it('gives each live worker frames of the jobs it accepted, and none that another holds', async () => {
    const t = 1_000_000
    const { a, b, job } = await twoWorkers(() => t)
    const live = [a.author, b.author]
    const pick = nextClaim(seen(a, t, live), a.author)
    expect(pick?.job).toBe(job)
    await a.append('claim', { job, frames: [pick!.frame], leaseMs: 10_000 })
    await syncInto(a, b)
    const other = nextClaim(seen(b, t, live), b.author)
    expect(other).toBeDefined()
    expect(other!.frame).not.toBe(pick!.frame)
    // Once the lease ran out, the frame is open again.
    expect(frameStatus(b.state().jobs[job]!, pick!.frame, t + 20_000).status).toBe('open')
  })

  it('frees the frame of a worker whose image the stitcher rejected at once, for another worker', async () => {
    const t = 1_000_000
    const { a, b, job } = await twoWorkers(() => t)
    await b.append('claim', { job, frames: [3], leaseMs: 60_000 })
    await b.append('rendered', { job, frame: 3, file: hex('c'), pixelHash: 'lie', renderMs: 10, wu: 1 })
    await syncInto(b, a)
    const live = [a.author, b.author]
    expect(nextClaims(seen(a, t, live), a.author, 4).map((c) => c.frame)).not.toContain(3)
    await a.append('verified', { job, frame: 3, worker: b.author, ok: false, amount: 0 })
    expect(frameStatus(a.state().jobs[job]!, 3, t)).toMatchObject({ status: 'open', holder: null })
    expect(nextClaims(seen(a, t, live), a.author, 4).map((c) => c.frame)).toContain(3)
  })

  it('leaves a worker blocked after failing three frames out of the job', async () => {
    const t = 1_000_000
    const { a, b, job } = await twoWorkers(() => t)
    for (const frame of [1, 2, 3]) await b.append('failed', { job, frame, attempt: 1, error: 'Parse Error' })
    await syncInto(b, a)
    expect(blockedWorker(a.state().jobs[job]!, b.author)).toBe(true)
    expect(nextClaim(seen(a, t, [a.author, b.author]), b.author)).toBeUndefined()
    expect(nextClaim(seen(a, t, [a.author, b.author]), a.author)?.job).toBe(job)
  })
})

describe('events of new entries', () => {
  it('report a claim once, not its renewals or its release', async () => {
    let t = 1_000_000
    const { a, job } = await twoWorkers(() => t)
    const seen: string[] = []
    a.onEntries((entries) => {
      for (const e of eventsOfEntries(a.state(), entries as Entry[])) seen.push(e.type)
    })
    await a.append('claim', { job, frames: [1], leaseMs: 10_000 })
    t += 3_000
    await a.append('claim', { job, frames: [1], leaseMs: 10_000 })
    await a.append('claim', { job, frames: [1], leaseMs: 1 })
    await a.append('rendered', { job, frame: 1, file: hex('d'), pixelHash: 'p', renderMs: 1200, wu: 20 })
    expect(seen).toEqual(['frame:claimed', 'frame:rendered'])
  })

  it('report worker:blocked once, at the failure that reaches the limit, whether entries come one by one or in a batch', async () => {
    const t = 1_000_000
    const { a, b, job } = await twoWorkers(() => t)
    const oneByOne: string[] = []
    b.onEntries((entries) => {
      for (const e of eventsOfEntries(b.state(), entries as Entry[])) oneByOne.push(e.type)
    })
    for (const frame of [1, 2, 2, 3])
      await b.append('failed', { job, frame, attempt: 1, error: 'Parse Error' })
    expect(oneByOne).toEqual([
      'frame:failed',
      'frame:failed',
      'frame:failed',
      'frame:failed',
      'worker:blocked',
    ])
    const batched: unknown[] = []
    a.onEntries((entries) => {
      batched.push(
        ...eventsOfEntries(a.state(), entries as Entry[]).filter((e) => e.type === 'worker:blocked'),
      )
    })
    await syncInto(b, a)
    expect(batched).toEqual([
      {
        type: 'worker:blocked',
        ts: t,
        job,
        jobName: expect.any(String),
        node: b.author,
        nodeName: 'b',
        failedFrames: 3,
      },
    ])
  })
})
