import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type ClaimChoice,
  IDLE_OWNER_MS,
  nextClaim,
  nextClaims,
  type SchedulerInput,
  shouldAbandon,
} from '../../src/farm/schedule/scheduler.ts'
import { MAX_FAILED_FRAMES, MAX_UNPROVEN_WUPM, measuredWupm, schedulingWupm } from '../../src/ledger/index.ts'
import { FarmStateBuilder } from '../helpers/farm-state.ts'

const MINUTE = 60_000

/** A farm of workers with these WUPM (all renderers), and a payer who can pay for everything. */
function farm(workers: Record<string, number>): FarmStateBuilder {
  const b = new FarmStateBuilder()
  b.grant('payer', 1_000_000_000)
  for (const [id, wupm] of Object.entries(workers)) b.node(id, { wupm })
  return b
}

/** A job of `frames` frames that every worker of the farm accepted. */
function job(
  b: FarmStateBuilder,
  id: string,
  frames: number,
  opts: Parameters<FarmStateBuilder['job']>[1] = {},
) {
  b.job(id, { frameCount: frames, accepted: Object.keys(b.state.nodes), ...opts })
}

/** What a node sees at `now`, connected to `live` (default: every worker). */
function seen(b: FarmStateBuilder, now = 0, live = Object.keys(b.state.nodes)): SchedulerInput {
  return { state: b.state, now, live: new Set(live) }
}

/** Every worker claims in turn and sees every claim at once, until nobody finds a frame. */
function drain(b: FarmStateBuilder, workers: string[], now = 0, live = workers) {
  const taken: ClaimChoice[] = []
  for (let progress = true; progress; ) {
    progress = false
    for (const w of workers) {
      const choice = nextClaim(seen(b, now, live), w)
      if (!choice) continue
      b.claim(choice.job, w, [choice.frame], { ts: now, leaseMs: 2 * MINUTE })
      taken.push(choice)
      progress = true
    }
  }
  return taken
}

/** Renders frames as `worker`, 1 WU each: done, with a cost the estimate learns from. */
function render(b: FarmStateBuilder, jobId: string, worker: string, frames: Iterable<number>) {
  for (const frame of frames) b.rendered(jobId, worker, frame, { milliWU: 1000 })
}

describe('a worker that lost a frame', () => {
  it('stops when another worker’s claim won, or once an image of the frame stands', () => {
    const b = farm({ a: 1, b: 1, c: 1 })
    job(b, 'j0', 1)
    b.claim('j0', 'b', [1], { lamport: 40 }).claim('j0', 'a', [1], { lamport: 50 })
    const record = () => b.state.jobs.j0!
    expect(shouldAbandon(record(), 1, 'a', 0)).toEqual({ reason: 'held', by: 'b' })
    expect(shouldAbandon(record(), 1, 'b', 0)).toBeUndefined()
    b.rendered('j0', 'c', 1)
    expect(shouldAbandon(record(), 1, 'b', 0)).toEqual({ reason: 'rendered' })
  })
})

describe('job queue', () => {
  it('runs an unpaid job only once nothing else waits', () => {
    const b = farm({ a: 1 })
    job(b, 'unpaid', 2, { author: 'broke' })
    job(b, 'paid', 2)
    const taken = drain(b, ['a'])
    expect(taken.map((c) => c.job)).toEqual(['paid', 'paid', 'unpaid', 'unpaid'])
  })
})

describe('nextClaim', () => {
  it('sends workers to different frames and claims every frame exactly once', () => {
    const b = farm({ a: 1, b: 1, c: 1 })
    job(b, 'j1', 30)
    const taken = drain(b, ['a', 'b', 'c'])
    expect(taken.map((c) => c.frame).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    )
    const first = taken.slice(0, 3).map((c) => c.frame)
    expect(new Set(first).size).toBe(3)
  })

  it('gives a fast worker a larger share of the frames it owns', () => {
    const owned = { slow: 0, fast: 0 }
    for (const w of ['slow', 'fast'] as const) {
      // Each worker alone, with the other live but idle: what it takes as its own.
      const b = farm({ slow: 1, fast: 4 })
      job(b, 'j2', 400)
      for (;;) {
        const choice = nextClaim(seen(b), w)
        if (choice?.reason !== 'own') break
        b.claim('j2', w, [choice.frame])
        owned[w]++
      }
    }
    expect(owned.slow + owned.fast).toBe(400)
    expect(owned.fast / owned.slow).toBeGreaterThan(3)
    expect(owned.fast / owned.slow).toBeLessThan(5.5)
  })

  it('renders the sample frames spread over the timeline before the rest', () => {
    const b = farm({ a: 1, b: 1 })
    job(b, 'j3', 100)
    const firstFew = drain(b, ['a', 'b'])
      .slice(0, 4)
      .map((c) => c.frame)
    expect(firstFew).toContain(1)
    expect(firstFew).toContain(100)
  })

  it('never claims a job whose renderer the worker lacks, or one it did not accept', () => {
    const b = new FarmStateBuilder().grant('payer', 1_000_000).node('a', { renderers: ['povray'] })
    b.job('b1', { frameCount: 3, renderer: 'blender', accepted: ['a'] })
    expect(nextClaim(seen(b), 'a')).toBeUndefined()
    const other = farm({ a: 1, b: 1 })
    job(other, 'n1', 3, { accepted: ['b'] })
    expect(nextClaim(seen(other), 'a')).toBeUndefined()
  })

  it('leaves a frame another worker holds alone until its lease expires', () => {
    const b = farm({ a: 1, b: 1 })
    job(b, 'j4', 1)
    b.claim('j4', 'b', [1], { ts: 0, leaseMs: 1000 })
    expect(nextClaim(seen(b, 500), 'a')).toBeUndefined()
    expect(nextClaim(seen(b, 1000), 'a')).toMatchObject({ job: 'j4', frame: 1 })
  })

  it('takes frames a dead worker owned', () => {
    const b = farm({ a: 1, b: 1 })
    job(b, 'j5', 20)
    expect(drain(b, ['a'])).toHaveLength(20)
  })

  it(`stops a worker that failed ${MAX_FAILED_FRAMES} distinct frames of a job from taking it`, () => {
    const b = farm({ a: 1 })
    job(b, 'bad', 10, { attempts: 5 })
    job(b, 'other', 1, { pricePerWU: 1 })
    for (let i = 1; i < MAX_FAILED_FRAMES; i++) b.failed('bad', 'a', i).failed('bad', 'a', i)
    expect(nextClaim(seen(b), 'a')?.job).toBe('bad')
    b.failed('bad', 'a', MAX_FAILED_FRAMES)
    expect(nextClaim(seen(b), 'a')?.job).toBe('other')
  })

  it('retries a failed frame on another worker, and not past its attempts', () => {
    const b = farm({ a: 1, b: 1 })
    job(b, 'j6', 1, { attempts: 2 })
    b.failed('j6', 'a', 1)
    expect(nextClaim(seen(b), 'a')).toBeUndefined()
    expect(nextClaim(seen(b), 'b')).toMatchObject({ frame: 1 })
    expect(nextClaim(seen(b, 0, ['a']), 'a')).toMatchObject({ frame: 1 })
    b.failed('j6', 'b', 1)
    expect(nextClaim(seen(b), 'b')).toBeUndefined()
  })

  it('lets a worker with nothing of its own left steal frames from a busy slower one', () => {
    const b = farm({ slow: 1, fast: 4 })
    job(b, 'j7', 40)
    // The fast worker has rendered everything it owns; the slow one is on its first frame.
    for (;;) {
      const choice = nextClaim(seen(b), 'fast')
      if (choice?.reason !== 'own') break
      render(b, 'j7', 'fast', [choice.frame])
    }
    const slowFirst = nextClaim(seen(b), 'slow')!
    b.claim('j7', 'slow', [slowFirst.frame])
    const steal = nextClaim(seen(b), 'fast')
    expect(steal?.reason).toBe('stolen')
    expect(b.state.jobs.j7!.frames[String(steal!.frame)]).toBeUndefined()
  })

  it('keeps a slow worker off the last frame when a faster one will finish it sooner', () => {
    const b = farm({ slow: 1, fast: 8 })
    job(b, 'j8', 10)
    render(b, 'j8', 'fast', [1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(nextClaim(seen(b), 'slow')).toBeUndefined()
    expect(nextClaim(seen(b), 'fast')).toMatchObject({ frame: 10 })
    // Alone, the slow worker does render it.
    expect(nextClaim(seen(b, 0, ['slow']), 'slow')).toMatchObject({ frame: 10 })
  })

  it('picks a chunk of distinct frames of one job in one go, claiming nothing itself', () => {
    const b = farm({ a: 1 })
    job(b, 'small', 3)
    job(b, 'other', 5, { pricePerWU: 1 })
    const chunk = nextClaims(seen(b), 'a', 5)
    expect(chunk.map((c) => c.job)).toEqual(['small', 'small', 'small'])
    expect(chunk.map((c) => c.frame).sort()).toEqual([1, 2, 3])
    expect(b.state.jobs.small!.frames).toEqual({})
  })

  it('does not keep frames for a worker busy with another job', () => {
    const b = farm({ slow: 1, fast: 8 })
    job(b, 'urgent', 5, { pricePerWU: 900, accepted: ['fast'] })
    job(b, 'later', 10)
    render(b, 'later', 'fast', [1, 2, 3, 4, 5, 6, 7, 8, 9])
    b.claim('urgent', 'fast', [1])
    expect(nextClaim(seen(b), 'slow')).toMatchObject({ job: 'later', frame: 10 })
    // Once the fast worker is free, it is the one to finish the job.
    render(b, 'urgent', 'fast', [1, 2, 3, 4, 5])
    expect(nextClaim(seen(b), 'slow')).toBeUndefined()
  })

  it('claims every frame exactly once for any mix of workers and speeds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.double({ min: 0.5, max: 10, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 10_000 }),
        (frames, speeds, salt) => {
          const ids = speeds.map((_, i) => `w${salt}-${i}`)
          const b = farm(Object.fromEntries(ids.map((id, i) => [id, speeds[i]!])))
          job(b, `job-${salt}`, frames)
          const claimed = drain(b, ids)
            .map((c) => c.frame)
            .sort((x, y) => x - y)
          expect(claimed).toEqual(Array.from({ length: frames }, (_, i) => i + 1))
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('scheduling by what nodes do, not what they say', () => {
  it('a node announcing 1e6 WUPM that accepts and never claims holds back a few frames, and none after a lease', () => {
    const b = farm({ a: 1, b: 1, rogue: 1e6 })
    job(b, 'j', 60)
    // Its announced speed counts as MAX_UNPROVEN_WUPM: the frames it would start within the
    // steal margin wait for it, the rest the others take.
    const live = ['a', 'b', 'rogue']
    const early = drain(b, ['a', 'b'], 0, live)
    expect(early.length).toBeGreaterThanOrEqual(60 - 2 * MAX_UNPROVEN_WUPM)
    expect(early.length).toBeLessThan(60)
    // A lease period after its accept with no claim, it owns nothing: every frame is taken.
    const later = farm({ a: 1, b: 1, rogue: 1e6 })
    job(later, 'j', 60)
    expect(drain(later, ['a', 'b'], IDLE_OWNER_MS + 1, live)).toHaveLength(60)
  })

  it('verified frames, not the announcement, set the weight', () => {
    const b = farm({ a: 1, liar: 1e6 })
    job(b, 'j', 4)
    b.rendered('j', 'liar', 1, { milliWU: 1000 })
    const j = () => b.state.jobs.j!
    expect(schedulingWupm(j(), 'liar', 1e6)).toBe(MAX_UNPROVEN_WUPM)
    b.verdict('j', 'payer', 'liar', 1, true)
    // 1 WU in the 1,000 ms it reported: 60 WUPM measured, far below what it announced.
    expect(measuredWupm(j(), 'liar')).toBe(60)
    expect(schedulingWupm(j(), 'liar', 1e6)).toBe(60)
    expect(schedulingWupm(j(), 'a', 2)).toBe(2)
  })
})

describe('prices and verification in the scheduler', () => {
  it('serves the dearer job first, and a reprice by the payer reorders the queue at once', () => {
    const b = farm({ a: 1 })
    job(b, 'cheap', 4, { pricePerWU: 100 })
    job(b, 'dear', 4, { pricePerWU: 500 })
    expect(nextClaim(seen(b), 'a')?.job).toBe('dear')
    b.entry('a', 'reprice', { job: 'cheap', pricePerWU: 9_000 })
    expect(nextClaim(seen(b), 'a')?.job).toBe('dear')
    b.entry('payer', 'reprice', { job: 'cheap', pricePerWU: 1_000 })
    expect(nextClaim(seen(b), 'a')?.job).toBe('cheap')
  })

  it('gives a disputed frame to neither its verifier nor a suspect, and a suspect no new frame', () => {
    const b = farm({ payer: 1, honest: 1, suspect: 1 })
    job(b, 'j', 3)
    const hash = 'f'.repeat(64)
    b.entry('payer', 'mismatch', {
      job: 'j',
      frame: 1,
      worker: 'suspect',
      kind: 'pixels',
      pixelHash: hash,
      verifierHash: 'e'.repeat(64),
      verifier: 'payer',
      ruling: 'open',
    })
    const frames = (who: string) => drain(b, [who]).map((c) => c.frame)
    expect(frames('suspect')).toEqual([])
    expect(frames('payer')).not.toContain(1)
    expect(frames('honest')).toContain(1)
  })
})
