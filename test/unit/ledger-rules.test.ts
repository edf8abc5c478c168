import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  blockedWorker,
  claimHolder,
  frameStatus,
  jobQueue,
  leaseLive,
  MAX_FAILED_FRAMES,
} from '../../src/ledger/index.ts'
import { FarmStateBuilder } from '../helpers/farm-state.ts'

/** One job of 3 frames, and the holder of frame 1 at `now` by the rules. */
function oneJob() {
  const b = new FarmStateBuilder()
  b.job('j', { frameCount: 3 })
  const holder = (now: number) => {
    const job = b.state.jobs.j!
    return claimHolder(job, job.frames['1'], now)
  }
  return { b, holder }
}

describe('who holds a frame', () => {
  it('is the earlier (lamport, worker) of the live tenures', () => {
    const { b, holder } = oneJob()
    b.claim('j', 'b', [1], { lamport: 7 }).claim('j', 'a', [1], { lamport: 9 })
    expect(holder(0)?.worker).toBe('b')
    const tie = oneJob()
    tie.b.claim('j', 'b', [1], { lamport: 7 }).claim('j', 'a', [1], { lamport: 7 })
    expect(tie.holder(0)?.worker).toBe('a')
  })

  it('is nobody once the lease expired, so the frame is claimable again', () => {
    const { b, holder } = oneJob()
    b.claim('j', 'a', [1], { ts: 0, leaseMs: 1000 })
    expect(holder(999)?.worker).toBe('a')
    expect(holder(1000)).toBeNull()
    expect(frameStatus(b.state.jobs.j!, 1, 1000).status).toBe('open')
    b.claim('j', 'b', [1], { ts: 2000, leaseMs: 1000 })
    expect(holder(2500)?.worker).toBe('b')
  })

  it('keeps a renewed tenure from its first claim, so a later claimer still loses to the renewer', () => {
    const { b, holder } = oneJob()
    b.claim('j', 'a', [1], { lamport: 3, ts: 0, leaseMs: 1000 })
    b.claim('j', 'b', [1], { lamport: 10, ts: 950 })
    b.claim('j', 'a', [1], { lamport: 20, ts: 900, leaseMs: 1000 })
    expect(holder(1500)).toMatchObject({ worker: 'a', lamport: 3, since: 0, expiresAt: 1900 })
  })

  it('starts a new tenure when the renewal came after the lease ran out', () => {
    const { b, holder } = oneJob()
    b.claim('j', 'a', [1], { lamport: 3, ts: 0, leaseMs: 1000 })
    b.claim('j', 'b', [1], { lamport: 10, ts: 1100 })
    b.claim('j', 'a', [1], { lamport: 20, ts: 1200, leaseMs: 1000 })
    expect(holder(1500)?.worker).toBe('b')
    expect(b.state.jobs.j!.frames['1']!.claims.a).toMatchObject({ lamport: 20, since: 1200 })
  })

  it('is nobody once the worker released the frame', () => {
    const { b, holder } = oneJob()
    b.claim('j', 'a', [1], { ts: 0 }).claim('j', 'a', [1], { ts: 500, leaseMs: 1 })
    expect(holder(600)).toBeNull()
  })

  it('is never a worker whose image of the frame the payer rejected', () => {
    const { b, holder } = oneJob()
    b.claim('j', 'a', [1], { ts: 0 }).rendered('j', 'a', 1).verdict('j', 'payer', 'a', 1, false)
    expect(holder(10)).toBeNull()
    expect(frameStatus(b.state.jobs.j!, 1, 10)).toMatchObject({ status: 'open', renderedBy: [] })
  })

  it('is what the tenure rule over every claim says, whatever order the feeds arrive in', () => {
    // Each worker's claims in its feed's order: ts never goes back, lamport always goes up.
    const feed = fc.array(
      fc.record({
        dt: fc.integer({ min: 0, max: 3000 }),
        dl: fc.integer({ min: 1, max: 5 }),
        leaseMs: fc.integer({ min: 1, max: 4000 }),
      }),
      { maxLength: 5 },
    )
    fc.assert(
      fc.property(fc.tuple(feed, feed, feed), fc.integer({ min: 0, max: 9000 }), (feeds, now) => {
        const claims = feeds.map((list, w) => {
          let ts = 0
          let lamport = 0
          return list.map(({ dt, dl, leaseMs }) => {
            ts += dt
            lamport += dl
            return { worker: 'abc'[w]!, ts, lamport, leaseMs }
          })
        })
        const holders = [claims, [...claims].reverse()].map((order) => {
          const { b, holder } = oneJob()
          for (const list of order)
            for (const c of list)
              b.claim('j', c.worker, [1], { ts: c.ts, lamport: c.lamport, leaseMs: c.leaseMs })
          return holder(now)
        })
        expect(holders[1]).toEqual(holders[0])
        expect(holders[0]?.worker).toBe(tenureHolder(claims.flat(), now))
        if (holders[0]) expect(leaseLive(holders[0], now)).toBe(true)
      }),
    )
  })
})

/** The tenure rule spelt out over the whole list of claims, as the fold's one record per worker must agree. */
function tenureHolder(
  claims: { worker: string; ts: number; lamport: number; leaseMs: number }[],
  now: number,
): string | undefined {
  let best: { worker: string; lamport: number } | undefined
  for (const worker of new Set(claims.map((c) => c.worker))) {
    const mine = claims.filter((c) => c.worker === worker)
    let start = mine[0]!
    let expiresAt = start.ts + start.leaseMs
    for (const c of mine.slice(1)) {
      if (c.ts > expiresAt) start = c
      expiresAt = c.ts + c.leaseMs
    }
    if (expiresAt <= now) continue
    if (!best || start.lamport < best.lamport || (start.lamport === best.lamport && worker < best.worker))
      best = { worker, lamport: start.lamport }
  }
  return best?.worker
}

describe('the failure limit', () => {
  it(`blocks a worker from a job once it failed ${MAX_FAILED_FRAMES} distinct frames of it`, () => {
    const b = new FarmStateBuilder()
    b.job('j', { frameCount: 5, attempts: 10 })
    for (let i = 0; i < 5; i++) b.failed('j', 'a', 1)
    b.failed('j', 'a', 2)
    expect(blockedWorker(b.state.jobs.j!, 'a')).toBe(false)
    b.failed('j', 'a', 3)
    expect(blockedWorker(b.state.jobs.j!, 'a')).toBe(true)
    expect(blockedWorker(b.state.jobs.j!, 'b')).toBe(false)
    expect(b.state.jobs.j!.frames['1']!.failedBy).toEqual({ a: 5 })
  })
})

describe('the queue', () => {
  it('serves the highest price per WU first, then the oldest, and a job its payer cannot pay last', () => {
    const b = new FarmStateBuilder()
    b.grant('rich', 1_000_000).grant('poor', 10)
    b.job('broke', { author: 'poor', pricePerWU: 500, ts: 0 })
    b.job('free', { author: 'nobody', pricePerWU: 0, ts: 0 })
    b.job('cheap-old', { author: 'rich', pricePerWU: 50, ts: 1 })
    b.job('rich-old', { author: 'rich', pricePerWU: 200, ts: 5 })
    b.job('rich-new', { author: 'rich', pricePerWU: 200, ts: 9 })
    b.job('done', { author: 'rich', pricePerWU: 900, ts: 9 })
    b.entry('rich', 'stitched', { job: 'done', video: 'v'.repeat(64) })
    expect(jobQueue(b.state).map((j) => j.id)).toEqual(['rich-old', 'rich-new', 'cheap-old', 'free', 'broke'])
  })

  it('puts a job last once its payer runs out, and first again when the payer is granted more', () => {
    const b = new FarmStateBuilder()
    b.grant('ann', 150)
    b.job('ann-job', { author: 'ann', pricePerWU: 200 }).job('bob-job', { author: 'bob', pricePerWU: 0 })
    expect(jobQueue(b.state).map((j) => j.id)).toEqual(['bob-job', 'ann-job'])
    b.grant('ann', 100)
    expect(jobQueue(b.state).map((j) => j.id)).toEqual(['ann-job', 'bob-job'])
  })
})
