import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  blockedWorker,
  claimHolder,
  decodeEntry,
  foldEntries,
  jobQueue,
  type Ledger,
  stateHash,
} from '../../src/ledger/index.ts'
import { hex, jobBody, newLedger, syncInto } from './ledger-fixtures.ts'

/**
 * Three authors write random histories (syncing with each other now and then, so Lamport clocks
 * interleave and they reference each other's jobs); then fresh replicas receive every entry in a
 * random order, with duplicates, in random batch sizes. Every replica must end with the same
 * state, byte for byte, as the authors and as a from-scratch fold.
 */

const who = fc.integer({ min: 0, max: 2 })
const pick = fc.nat(1000)
const op = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('job' as const),
      who,
      price: fc.integer({ min: 0, max: 300 }),
      first: fc.nat(3),
      len: fc.integer({ min: 1, max: 4 }),
      attempts: fc.integer({ min: 1, max: 3 }),
      failFast: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      who,
      job: pick,
      frames: fc.uniqueArray(fc.nat(3), { minLength: 1, maxLength: 4 }),
      leaseMs: fc.integer({ min: 1, max: 20_000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('rendered' as const),
      who,
      job: pick,
      frame: fc.nat(3),
      renderMs: fc.nat(5000),
      wu: fc.nat(100),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('failed' as const), who, job: pick, frame: fc.nat(3) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('verified' as const),
      byPayer: fc.boolean(),
      who,
      job: pick,
      frame: fc.nat(3),
      worker: who,
      ok: fc.boolean(),
      amount: fc.nat(3000),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('stitched' as const, 'cancel' as const, 'accept' as const),
      byPayer: fc.boolean(),
      who,
      job: pick,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('grant' as const),
      who,
      to: who,
      amount: fc.integer({ min: 1, max: 5000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('node' as const), who, cores: fc.integer({ min: 1, max: 8 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('capture' as const), who, hour: fc.nat(23) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: who, to: who }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(15_000) }) },
)
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never

async function play(ops: Op[]) {
  const clock = { now: 1_700_000_000_000 }
  const authors = [0, 1, 2].map(() => newLedger({ now: () => clock.now }))
  const [a, b, c] = await Promise.all(authors)
  const ledgers = [a!, b!, c!]
  const jobs: { id: string; payer: number }[] = []
  for (const o of ops) {
    if (o.kind === 'tick') clock.now += o.ms
    else if (o.kind === 'sync') {
      if (o.from !== o.to) await syncInto(ledgers[o.from]!, ledgers[o.to]!)
    } else if (o.kind === 'grant')
      await ledgers[o.who]!.append('grant', { to: ledgers[o.to]!.author, amount: o.amount })
    else if (o.kind === 'node') {
      await ledgers[o.who]!.append('node', {
        name: `n${o.who}`,
        owner: 'o',
        renderers: [],
        cores: o.cores,
        wupm: 1,
      })
    } else if (o.kind === 'capture') {
      await ledgers[o.who]!.append('capture', {
        day: '2026-11-21',
        time: `${String(o.hour).padStart(2, '0')}0000`,
        file: hex(String(o.hour % 10)),
      })
    } else if (o.kind === 'job') {
      const l = ledgers[o.who]!
      const frames = { first: o.first, last: o.first + o.len - 1 }
      const entry = await l.append(
        'job',
        jobBody(l.author, { pricePerWU: o.price, frames, attempts: o.attempts, failFast: o.failFast }),
      )
      jobs.push({ id: entry.hash, payer: o.who })
    } else {
      const target = jobs[o.job % Math.max(jobs.length, 1)]
      if (!target) continue
      const job = target.id
      const l = ledgers['byPayer' in o && o.byPayer ? target.payer : o.who]!
      if (o.kind === 'claim') await l.append('claim', { job, frames: o.frames, leaseMs: o.leaseMs })
      else if (o.kind === 'rendered') {
        await l.append('rendered', {
          job,
          frame: o.frame,
          file: hex('e'),
          pixelHash: `px${o.frame}`,
          renderMs: o.renderMs,
          wu: o.wu,
        })
      } else if (o.kind === 'failed')
        await l.append('failed', { job, frame: o.frame, attempt: 1, error: 'Parse Error' })
      else if (o.kind === 'verified') {
        await l.append('verified', {
          job,
          frame: o.frame,
          worker: ledgers[o.worker]!.author,
          ok: o.ok,
          amount: o.amount,
        })
      } else await l.append(o.kind, { job, ...(o.kind === 'stitched' ? { video: hex('f') } : {}) } as never)
    }
  }
  for (const from of ledgers) for (const to of ledgers) if (from !== to) await syncInto(from, to)
  return { ledgers, clock }
}

/** Deterministic shuffle from a seed, so fast-check can replay and shrink a failure. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items]
  let s = seed >>> 0
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

async function deliver(all: Uint8Array[], seed: number, dupes: number, maxBatch: number): Promise<Ledger> {
  const replica = await newLedger()
  const stream = shuffle([...all, ...all.slice(0, dupes)], seed)
  for (let i = 0; i < stream.length; ) {
    const size = 1 + (((seed >>> (i % 16)) + i) % maxBatch)
    const result = await replica.ingest(stream.slice(i, i + size))
    expect(result.refused).toEqual([])
    i += size
  }
  return replica
}

describe('ledger replicas converge', () => {
  it('to byte-identical state whatever the delivery order, duplicates and batch sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(fc.integer(), fc.nat(10), fc.integer({ min: 1, max: 12 })), {
          minLength: 2,
          maxLength: 2,
        }),
        async (ops, deliveries) => {
          const { ledgers, clock } = await play(ops)
          const all: Uint8Array[] = []
          for await (const batch of ledgers[0]!.missing({})) all.push(...batch)
          const reference = stateHash(foldEntries(all.map((e) => decodeEntry(e).entry)))
          const replicas = []
          for (const [seed, dupes, maxBatch] of deliveries)
            replicas.push(await deliver(all, seed, dupes, maxBatch))
          // What the rules make of the state: who holds each frame (and since when), who is
          // blocked from each job, the queue order.
          const rules = (node: Ledger) => {
            const state = node.state()
            const held = Object.values(state.jobs).flatMap((job) =>
              Object.entries(job.frames).map(([n, frame]) => {
                const holder = claimHolder(job, frame, clock.now)
                return `${job.id}/${n}:${holder?.worker}@${holder?.since}`
              }),
            )
            const blocked = Object.values(state.jobs).flatMap((job) =>
              ledgers.filter((l) => blockedWorker(job, l.author)).map((l) => `${job.id}:${l.author}`),
            )
            return { held: held.sort(), blocked: blocked.sort(), queue: jobQueue(state).map((j) => j.id) }
          }
          const expectedRules = rules(ledgers[0]!)
          for (const node of [...ledgers, ...replicas]) {
            expect(rules(node)).toEqual(expectedRules)
            expect(stateHash(node.state())).toBe(reference)
            const state = node.state()
            const balances = Object.values(state.balances)
            expect(balances.every((v) => v >= 0)).toBe(true)
            expect(balances.reduce((x, y) => x + y, 0)).toBe(state.granted)
          }
          const first = replicas[0]!
          await first.close()
          const reopened = await newLedger({ path: first.path })
          expect(stateHash(reopened.state())).toBe(reference)
          await Promise.all([...ledgers, ...replicas, reopened].map((l) => l.close()))
        },
      ),
      { numRuns: 50 },
    )
  }, 120_000)
})
