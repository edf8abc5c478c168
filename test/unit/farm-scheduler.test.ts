import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type ClaimChoice,
  claimHolder,
  jobQueue,
  MAX_WORKER_FAILURES,
  nextClaim,
  nextClaims,
  shouldAbandon,
} from '../../src/farm/schedule/scheduler.ts'
import type { Claim, JobState, WorkerState } from '../../src/farm/schedule/work-view.ts'

const MINUTE = 60_000

interface TestFrame {
  frame: number
  done: boolean
  milliWU?: number
  claims: Claim[]
  failedBy: string[]
}
type TestJob = Omit<JobState, 'frames'> & { frames: TestFrame[] }

function job(id: string, frames: number, extra: Partial<JobState> = {}): TestJob {
  return {
    id,
    renderer: 'povray',
    status: 'active',
    pricePerWU: 100,
    ownerBalance: 1_000_000,
    createdAt: 0,
    attempts: 3,
    accepted: ['a', 'b', 'c', 'slow', 'fast'],
    first: 1,
    last: frames,
    ...extra,
    frames: Array.from({ length: frames }, (_, i) => ({
      frame: i + 1,
      done: false,
      claims: [],
      failedBy: [],
    })),
  }
}

function worker(id: string, wupm = 1, renderers = ['povray', 'blender']): WorkerState {
  return { id, renderers, wupm, live: true }
}

function claim(worker: string, lamport: number, at = 0, leaseMs = 2 * MINUTE): Claim {
  return { worker, lamport, at, expiresAt: at + leaseMs }
}

/** Every worker claims in turn and sees every claim at once, until nobody finds a frame. */
function drain(jobs: TestJob[], workers: WorkerState[], now = 0) {
  const taken: ClaimChoice[] = []
  for (let progress = true; progress; ) {
    progress = false
    for (const w of workers) {
      const choice = nextClaim({ now, jobs, workers }, w.id)
      if (!choice) continue
      const target = jobs.find((j) => j.id === choice.job)!
      target.frames[choice.frame - target.first]!.claims.push(claim(w.id, taken.length + 1, now))
      taken.push(choice)
      progress = true
    }
  }
  return taken
}

describe('claim conflicts', () => {
  it('gives the frame to the earlier (lamport, worker) live claim', () => {
    expect(claimHolder([claim('b', 7), claim('a', 9)], 0)?.worker).toBe('b')
    expect(claimHolder([claim('b', 7), claim('a', 7)], 0)?.worker).toBe('a')
  })

  it('ignores expired leases, so the frame is claimable again', () => {
    expect(claimHolder([claim('a', 1, 0, 1000)], 999)?.worker).toBe('a')
    expect(claimHolder([claim('a', 1, 0, 1000)], 1000)).toBeUndefined()
    expect(claimHolder([claim('a', 1, 0, 1000), claim('b', 5, 2000)], 2500)?.worker).toBe('b')
  })

  it('keeps the first claim of a renewed lease, so a later claimer still loses to the renewer', () => {
    const renewed = [claim('a', 3, 0, 1000), claim('a', 20, 900, 1000)]
    expect(claimHolder([...renewed, claim('b', 10, 950)], 1500)?.worker).toBe('a')
  })

  it('starts a new tenure when the renewal came after the lease ran out', () => {
    const late = [claim('a', 3, 0, 1000), claim('a', 20, 1200, 1000)]
    expect(claimHolder([...late, claim('b', 10, 1100)], 1500)?.worker).toBe('b')
  })

  it('ends the lease when the worker releases the frame', () => {
    expect(claimHolder([claim('a', 3, 0), claim('a', 4, 500, 0)], 600)).toBeUndefined()
  })

  it('names the same holder whatever order the claims arrived in', () => {
    const arbitraryClaim = fc.record({
      worker: fc.constantFrom('a', 'b', 'c'),
      lamport: fc.integer({ min: 1, max: 50 }),
      at: fc.integer({ min: 0, max: 5000 }),
      expiresAt: fc.integer({ min: 0, max: 9000 }),
    })
    fc.assert(
      fc.property(
        fc.array(arbitraryClaim, { maxLength: 12 }),
        fc.integer({ min: 0, max: 9000 }),
        (claims, now) => {
          const holder = claimHolder(claims, now)
          expect(claimHolder([...claims].reverse(), now)).toEqual(holder)
          if (holder) expect(holder.expiresAt).toBeGreaterThan(now)
        },
      ),
    )
  })

  it('tells the loser of a conflict, and nobody else, to stop', () => {
    const frame = { frame: 1, done: false, claims: [claim('b', 4), claim('a', 5)], failedBy: [] }
    expect(shouldAbandon(frame, 'a', 0)).toBe(true)
    expect(shouldAbandon(frame, 'b', 0)).toBe(false)
    expect(shouldAbandon({ ...frame, done: true }, 'b', 0)).toBe(true)
  })
})

describe('job queue', () => {
  it('serves the highest price per WU first, then the oldest, and a job its owner cannot pay last', () => {
    const jobs = [
      job('cheap-old', 1, { pricePerWU: 50, createdAt: 1 }),
      job('broke', 1, { pricePerWU: 500, ownerBalance: 10, createdAt: 0 }),
      job('rich-new', 1, { pricePerWU: 200, createdAt: 9 }),
      job('rich-old', 1, { pricePerWU: 200, createdAt: 5 }),
      job('free', 1, { pricePerWU: 0, ownerBalance: 0, createdAt: 0 }),
      job('done', 1, { status: 'stitched', pricePerWU: 900 }),
    ]
    expect(jobQueue(jobs).map((j) => j.id)).toEqual(['rich-old', 'rich-new', 'cheap-old', 'free', 'broke'])
  })

  it('runs an unpaid job only once nothing else waits', () => {
    const paid = job('paid', 2)
    const unpaid = job('unpaid', 2, { ownerBalance: 0 })
    const taken = drain([unpaid, paid], [worker('a')])
    expect(taken.map((c) => c.job)).toEqual(['paid', 'paid', 'unpaid', 'unpaid'])
  })
})

describe('nextClaim', () => {
  it('sends workers to different frames and claims every frame exactly once', () => {
    const j = job('j1', 30)
    const taken = drain([j], [worker('a'), worker('b'), worker('c')])
    expect(taken.map((c) => c.frame).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    )
    const first = taken.slice(0, 3).map((c) => c.frame)
    expect(new Set(first).size).toBe(3)
  })

  it('gives a fast worker a larger share of the frames it owns', () => {
    const j = job('j2', 400)
    const workers = [worker('slow', 1), worker('fast', 4)]
    const owned = { slow: 0, fast: 0 }
    for (const w of workers) {
      // Each worker alone, with the other live but idle: what it takes as its own.
      const solo = job('j2', 400)
      for (;;) {
        const choice = nextClaim({ now: 0, jobs: [solo], workers }, w.id)
        if (choice?.reason !== 'own') break
        solo.frames[choice.frame - 1]!.claims.push(claim(w.id, 1))
        owned[w.id as 'slow' | 'fast']++
      }
    }
    expect(owned.slow + owned.fast).toBe(j.frames.length)
    expect(owned.fast / owned.slow).toBeGreaterThan(3)
    expect(owned.fast / owned.slow).toBeLessThan(5.5)
  })

  it('renders the sample frames spread over the timeline before the rest', () => {
    const taken = drain([job('j3', 100)], [worker('a'), worker('b')])
    const firstFew = taken.slice(0, 4).map((c) => c.frame)
    expect(firstFew).toContain(1)
    expect(firstFew).toContain(100)
  })

  it('never claims a job whose renderer the worker lacks, or one it did not accept', () => {
    const blender = job('b1', 3, { renderer: 'blender' })
    const povOnly = worker('a', 1, ['povray'])
    expect(nextClaim({ now: 0, jobs: [blender], workers: [povOnly] }, 'a')).toBeUndefined()
    const notAccepted = job('n1', 3, { accepted: ['b'] })
    expect(
      nextClaim({ now: 0, jobs: [notAccepted], workers: [worker('a'), worker('b')] }, 'a'),
    ).toBeUndefined()
  })

  it('leaves a frame another worker holds alone until its lease expires', () => {
    const j = job('j4', 1)
    j.frames[0]!.claims.push(claim('b', 1, 0, 1000))
    const workers = [worker('a'), worker('b')]
    expect(nextClaim({ now: 500, jobs: [j], workers }, 'a')).toBeUndefined()
    expect(nextClaim({ now: 1000, jobs: [j], workers }, 'a')).toMatchObject({ job: 'j4', frame: 1 })
  })

  it('takes frames a dead worker owned', () => {
    const j = job('j5', 20)
    const taken = drain([j], [worker('a'), { ...worker('b'), live: false }])
    expect(taken).toHaveLength(20)
  })

  it(`stops a worker that failed ${MAX_WORKER_FAILURES} frames of a job from taking it`, () => {
    const bad = job('bad', 10)
    const other = job('other', 1, { pricePerWU: 1 })
    for (const f of bad.frames.slice(0, MAX_WORKER_FAILURES)) f.failedBy.push('a')
    expect(nextClaim({ now: 0, jobs: [bad, other], workers: [worker('a')] }, 'a')?.job).toBe('other')
    bad.frames[2]!.failedBy.pop()
    expect(nextClaim({ now: 0, jobs: [bad, other], workers: [worker('a')] }, 'a')?.job).toBe('bad')
  })

  it('retries a failed frame on another worker, and not past its attempts', () => {
    const j = job('j6', 1, { attempts: 2 })
    j.frames[0]!.failedBy.push('a')
    const workers = [worker('a'), worker('b')]
    expect(nextClaim({ now: 0, jobs: [j], workers }, 'a')).toBeUndefined()
    expect(nextClaim({ now: 0, jobs: [j], workers }, 'b')).toMatchObject({ frame: 1 })
    expect(nextClaim({ now: 0, jobs: [j], workers: [worker('a')] }, 'a')).toMatchObject({ frame: 1 })
    j.frames[0]!.failedBy.push('b')
    expect(nextClaim({ now: 0, jobs: [j], workers }, 'b')).toBeUndefined()
  })

  it('lets a worker with nothing of its own left steal frames from a busy slower one', () => {
    const j = job('j7', 40)
    const workers = [worker('slow', 1), worker('fast', 4)]
    // The fast worker has rendered or holds everything it owns; the slow one is on its first frame.
    for (;;) {
      const choice = nextClaim({ now: 0, jobs: [j], workers }, 'fast')
      if (choice?.reason !== 'own') break
      j.frames[choice.frame - 1]!.done = true
      j.frames[choice.frame - 1]!.milliWU = 1000
    }
    const slowFirst = nextClaim({ now: 0, jobs: [j], workers }, 'slow')!
    j.frames[slowFirst.frame - 1]!.claims.push(claim('slow', 1))
    const steal = nextClaim({ now: 0, jobs: [j], workers }, 'fast')
    expect(steal?.reason).toBe('stolen')
    expect(j.frames[steal!.frame - 1]!.claims).toHaveLength(0)
  })

  it('keeps a slow worker off the last frame when a faster one will finish it sooner', () => {
    const j = job('j8', 10)
    for (const f of j.frames.slice(0, 9)) {
      f.done = true
      f.milliWU = 1000
    }
    const workers = [worker('slow', 1), worker('fast', 8)]
    expect(nextClaim({ now: 0, jobs: [j], workers }, 'slow')).toBeUndefined()
    expect(nextClaim({ now: 0, jobs: [j], workers }, 'fast')).toMatchObject({ frame: 10 })
    // Alone, the slow worker does render it.
    expect(nextClaim({ now: 0, jobs: [j], workers: [workers[0]!] }, 'slow')).toMatchObject({ frame: 10 })
  })

  it('picks a chunk of distinct frames of one job in one go', () => {
    const small = job('small', 3)
    const other = job('other', 5, { pricePerWU: 1 })
    const workers = [worker('a')]
    const chunk = nextClaims({ now: 0, jobs: [small, other], workers }, 'a', 5)
    expect(chunk.map((c) => c.job)).toEqual(['small', 'small', 'small'])
    expect(chunk.map((c) => c.frame).sort()).toEqual([1, 2, 3])
    expect(small.frames.every((f) => f.claims.length === 0)).toBe(true)
  })

  it('does not keep frames for a worker busy with another job', () => {
    const urgent = job('urgent', 5, { pricePerWU: 900 })
    const later = job('later', 10)
    for (const f of later.frames.slice(0, 9)) {
      f.done = true
      f.milliWU = 1000
    }
    urgent.frames[0]!.claims.push(claim('fast', 1))
    const workers = [worker('slow', 1), worker('fast', 8)]
    const idleUrgent = { ...urgent, accepted: ['fast'] }
    expect(nextClaim({ now: 0, jobs: [idleUrgent, later], workers }, 'slow')).toMatchObject({
      job: 'later',
      frame: 10,
    })
    // Once the fast worker is free, it is the one to finish the job.
    const freed = { ...idleUrgent, frames: idleUrgent.frames.map((f) => ({ ...f, done: true })) }
    expect(nextClaim({ now: 0, jobs: [freed, later], workers }, 'slow')).toBeUndefined()
  })

  it('claims every frame exactly once for any mix of workers and speeds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.double({ min: 0.5, max: 10, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 10_000 }),
        (frames, speeds, salt) => {
          const ids = speeds.map((_, i) => `w${salt}-${i}`)
          const j = job(`job-${salt}`, frames, { accepted: ids })
          const taken = drain(
            [j],
            ids.map((id, i) => worker(id, speeds[i])),
          )
          const claimed = taken.map((c) => c.frame).sort((x, y) => x - y)
          expect(claimed).toEqual(Array.from({ length: frames }, (_, i) => i + 1))
        },
      ),
      { numRuns: 60 },
    )
  })
})
