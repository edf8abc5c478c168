import { describe, expect, it } from 'vitest'
import { MAX_CLOCK_SKEW_MS, MAX_LEASE_MS, stateHash } from '../../src/ledger/index.ts'
import { forger, jobBody, newLedger, syncInto, withSignature } from './ledger-fixtures.ts'

const grant = (to: string, amount = 1000) => ({ to, amount })
const NOW = 1_800_000_000_000

describe('clocks no member can run away with', () => {
  it('a Lamport clock beyond its ts is refused; the receiver keeps its own clock', async () => {
    const ledger = await newLedger({ now: () => NOW })
    const mallory = await forger()
    const huge = await mallory.entry({
      seq: 1,
      lamport: Number.MAX_SAFE_INTEGER,
      ts: NOW,
      type: 'grant',
      body: grant(mallory.author),
    })
    const result = await ledger.ingest([huge.encoded])
    expect(result.refused.map((r) => r.code)).toEqual(['BAD_CLOCK'])
    expect(ledger.state().lamport).toBe(0)
    const mine = await ledger.append('grant', grant(ledger.author))
    expect(mine.lamport).toBe(1)
  })

  it('an entry dated beyond the skew is held, not applied, until the clock gets there', async () => {
    const clock = { now: NOW }
    const ledger = await newLedger({ now: () => clock.now })
    const mallory = await forger()
    const ts = Date.UTC(2100, 0, 1)
    const ahead = await mallory.entry({ seq: 1, lamport: ts, ts, type: 'grant', body: grant(mallory.author) })
    const result = await ledger.ingest([ahead.encoded])
    // Held, and no gap a sync could fill: the sender is not asked for more.
    expect(result).toMatchObject({ accepted: 0, refused: [], held: [] })
    expect(ledger.state().lamport).toBe(0)
    expect(ledger.state().balances[mallory.author]).toBeUndefined()
    expect((await ledger.append('grant', grant(ledger.author))).lamport).toBe(1)
    // Within the skew of the receiver's clock, the same entry applies.
    clock.now = ts - MAX_CLOCK_SKEW_MS
    expect((await ledger.ingest([ahead.encoded])).accepted).toBe(1)
    expect(ledger.state().balances[mallory.author]).toBe(1000)
  })

  it('after a peer entry at the edge of the skew, this node still writes entries every peer takes', async () => {
    const clock = { now: NOW }
    const a = await newLedger({ now: () => clock.now })
    const b = await newLedger({ now: () => clock.now })
    const mallory = await forger()
    const edge = NOW + MAX_CLOCK_SKEW_MS
    const e = await mallory.entry({
      seq: 1,
      lamport: edge,
      ts: edge,
      type: 'grant',
      body: grant(mallory.author),
    })
    expect((await a.ingest([e.encoded])).accepted).toBe(1)
    const next = await a.append('grant', grant(a.author))
    expect(next.lamport).toBe(edge + 1)
    expect(next.ts).toBe(edge + 1)
    // b's clock is 1 ms behind what that says: held for a moment, then taken once its clock moves.
    await syncInto(a, b)
    clock.now += 2
    await syncInto(a, b)
    expect(stateHash(b.state())).toBe(stateHash(a.state()))
    expect(b.state().lamport).toBeLessThan(clock.now + MAX_CLOCK_SKEW_MS)
  })

  it('a lease holds at most MAX_LEASE_MS past its claim, whatever it asks', async () => {
    const ledger = await newLedger({ now: () => NOW })
    const job = await ledger.append('job', jobBody(ledger.author))
    await ledger.append('claim', { job: job.hash, frames: [1], leaseMs: 24 * 3600_000 })
    const claim = ledger.state().jobs[job.hash]!.frames['1']!.claims[ledger.author]!
    expect(claim.expiresAt).toBe(NOW + MAX_LEASE_MS)
    expect(MAX_LEASE_MS).toBeLessThanOrEqual(10 * 60_000)
  })
})

describe('fork proofs travel', () => {
  /** mallory's seq 1, and two versions of seq 2 (the second one two entries long). */
  async function forkedFeed() {
    const mallory = await forger()
    const e1 = await mallory.entry({ seq: 1, type: 'grant', body: grant(mallory.author) })
    const prev = Buffer.from(e1.entry.hash, 'hex')
    const x2 = await mallory.entry({ seq: 2, prev, type: 'grant', body: grant(mallory.author, 5) })
    const y2 = await mallory.entry({ seq: 2, prev, type: 'grant', body: grant(mallory.author, 7) })
    const y3 = await mallory.entry({
      seq: 3,
      prev: Buffer.from(y2.entry.hash, 'hex'),
      type: 'grant',
      body: grant(mallory.author, 9),
    })
    return { mallory, e1, x2, y2, y3 }
  }

  it('a longer branch relayed by an honest node is a proof, not a refusal; every node agrees', async () => {
    const { mallory, e1, x2, y2, y3 } = await forkedFeed()
    const a = await newLedger()
    const b = await newLedger()
    const c = await newLedger()
    await a.ingest([e1.encoded, x2.encoded])
    await b.ingest([e1.encoded, y2.encoded, y3.encoded])
    // b relays y3 to a (a sync sends what a lacks): it does not chain to a's seq 2.
    const relayed = await a.ingest([y3.encoded])
    expect(relayed).toMatchObject({ refused: [], forks: [mallory.author] })
    expect(a.forks()).toEqual([mallory.author])
    // a's proof reaches b and c like any entry; b never saw a's branch.
    await syncInto(a, b)
    await syncInto(a, c)
    await syncInto(b, c)
    await syncInto(b, a)
    expect(b.forks()).toEqual([mallory.author])
    expect(c.forks()).toEqual([mallory.author])
    // Only seq 1 counts on every node, whichever branch it holds.
    for (const ledger of [a, b, c]) expect(ledger.state().balances[mallory.author]).toBe(1000)
    expect(a.state().balances).toEqual(b.state().balances)
    expect(a.state().membership.forks).toEqual({ [mallory.author]: 2 })
    expect(c.state().membership.forks).toEqual(a.state().membership.forks)
  })

  it('a proof that proves nothing is refused', async () => {
    const { mallory, e1, x2 } = await forkedFeed()
    const a = await newLedger()
    const liar = await forger()
    const fake = await liar.entry({
      seq: 1,
      type: 'fork',
      body: { author: mallory.author, seq: 1, a: e1.encoded, b: x2.encoded },
    })
    const result = await a.ingest([fake.encoded])
    expect(result.refused.map((r) => r.code)).toEqual(['BAD_SCHEMA'])
    expect(result.refused[0]?.message).toMatch(/chains to entry a/)
    expect(a.forks()).toEqual([])
  })

  it('a copy of a held entry is a duplicate before its signature is checked', async () => {
    const { e1 } = await forkedFeed()
    const a = await newLedger()
    await a.ingest([e1.encoded])
    const copy = withSignature(e1.encoded, new Uint8Array(64).fill(3))
    expect(await a.ingest([copy])).toMatchObject({ duplicates: 1, refused: [] })
  })
})

describe('what one member can make the others keep', () => {
  it('claims about jobs nobody wrote create no state; a claim that came before its job counts once it comes', async () => {
    const worker = await newLedger({ now: () => NOW })
    const payer = await newLedger({ now: () => NOW })
    const replica = await newLedger({ now: () => NOW })
    const frames = Array.from({ length: 1000 }, (_, i) => i)
    await worker.appendBatch(
      Array.from({ length: 300 }, (_, i) => ({
        type: 'claim' as const,
        body: { job: hashOf(i), frames, leaseMs: 60_000 },
      })),
    )
    const job = await payer.append('job', jobBody(payer.author, { frames: { first: 0, last: 3 } }))
    await worker.append('claim', { job: job.hash, frames: [2], leaseMs: 60_000 })
    // The worker's feed first: every claim arrives before any job entry.
    await syncInto(worker, replica, 50)
    expect(Object.keys(replica.state().jobs)).toEqual([])
    await syncInto(payer, replica)
    expect(Object.keys(replica.state().jobs)).toEqual([job.hash])
    expect(Object.keys(replica.state().jobs[job.hash]!.frames)).toEqual(['2'])
    expect(replica.state().jobs[job.hash]!.frames['2']!.claims[worker.author]).toBeDefined()
    // Reopened, and folded again from the log, it is the same.
    await syncInto(payer, worker)
    expect(stateHash(worker.state())).toBe(stateHash(replica.state()))
  })
})

function hashOf(i: number): string {
  return i.toString(16).padStart(64, '0')
}
