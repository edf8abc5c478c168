import { describe, expect, it } from 'vitest'
import { eventsOfEntries } from '../../src/farm/events/ledger-events.ts'
import { nextClaim } from '../../src/farm/schedule/scheduler.ts'
import { workViewOf } from '../../src/farm/schedule/work-view-of-state.ts'
import type { Entry, Ledger } from '../../src/ledger/index.ts'
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

const view = (ledger: Ledger, now: number, live: string[]) =>
  workViewOf(ledger.state(), { now, live: new Set(live), leaseMs: 10_000 })

describe('the work view of the ledger', () => {
  it('gives each live worker frames of the jobs it accepted, and none that another holds', async () => {
    const t = 1_000_000
    const { a, b, job } = await twoWorkers(() => t)
    const live = [a.author, b.author]
    const pick = nextClaim(view(a, t, live), a.author)
    expect(pick?.job).toBe(job)
    await a.append('claim', { job, frames: [pick!.frame], leaseMs: 10_000 })
    await syncInto(a, b)
    const other = nextClaim(view(b, t, live), b.author)
    expect(other).toBeDefined()
    expect(other!.frame).not.toBe(pick!.frame)
    // Once the lease ran out, the frame is open again.
    const later = view(b, t + 20_000, live).jobs[0]!.frames.find((f) => f.frame === pick!.frame)!
    expect(later.claims[0]!.expiresAt).toBeLessThan(t + 20_000)
  })

  it('drops the claim of a worker whose image the stitcher rejected, so the frame is free at once', async () => {
    const t = 1_000_000
    const { a, b, job } = await twoWorkers(() => t)
    await b.append('claim', { job, frames: [3], leaseMs: 60_000 })
    await b.append('rendered', { job, frame: 3, file: hex('c'), pixelHash: 'lie', renderMs: 10, wu: 1 })
    await syncInto(b, a)
    expect(view(a, t, [a.author, b.author]).jobs[0]!.frames[2]!.done).toBe(true)
    await a.append('verified', { job, frame: 3, worker: b.author, ok: false, amount: 0 })
    const frame = view(a, t, [a.author, b.author]).jobs[0]!.frames[2]!
    expect(frame).toMatchObject({ done: false, claims: [] })
  })

  it('leaves a worker blocked after three failures out of the job', async () => {
    const t = 1_000_000
    const { a, b, job } = await twoWorkers(() => t)
    for (const frame of [1, 2, 3]) await b.append('failed', { job, frame, attempt: 1, error: 'Parse Error' })
    await syncInto(b, a)
    expect(view(a, t, [a.author, b.author]).jobs[0]!.accepted).toEqual([a.author])
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
})
