import { describe, expect, it } from 'vitest'
import {
  blockedWorker,
  creditsTotal,
  decodeEntry,
  type Entry,
  foldEntries,
  jobPrice,
  jobQueue,
  type Ledger,
  mayRenderFrame,
  stateHash,
} from '../../src/ledger/index.ts'
import { hex, jobBody, newLedger, syncInto } from './ledger-fixtures.ts'

/** A payer (also the stitcher) with 10 credits and two workers. */
async function farm(over: Parameters<typeof jobBody>[1] = {}) {
  const payer = await newLedger()
  const w1 = await newLedger()
  const w2 = await newLedger()
  const all = [payer, w1, w2]
  const syncAll = async () => {
    for (const from of all) for (const to of all) if (from !== to) await syncInto(from, to)
  }
  await payer.append('grant', { to: payer.author, amount: 10_000 })
  const job = await payer.append('job', jobBody(payer.author, { frames: { first: 1, last: 6 }, ...over }))
  await syncAll()
  return { payer, w1, w2, job: job.hash, syncAll }
}

/** Folding the ledger's entries in reverse order gives the same state: money does not depend on arrival. */
async function expectSameFoldReversed(ledger: Ledger) {
  const entries: Entry[] = []
  for await (const batch of ledger.missing({}))
    for (const bytes of batch) entries.push(decodeEntry(bytes).entry)
  expect(stateHash(foldEntries(entries.reverse()))).toBe(stateHash(ledger.state()))
}

/** A `mismatch` body (without its ruling) about frame 3: the worker's pixels against the verifier's. */
const pixelsDispute = (job: string, worker: string, verifier: string) => ({
  job,
  frame: 3,
  worker,
  kind: 'pixels' as const,
  pixelHash: hex('1'),
  verifierHash: hex('2'),
  verifier,
})

const balance = (l: Ledger, who: string) => l.state().balances[who] ?? 0
const pay = (job: string, frame: number, worker: string, amount: number, wu: number) =>
  ({ job, frame, worker, ok: true, amount, wu }) as const

describe('credits for a job', () => {
  it('reserves the budget at submission, pays from it, never beyond it, and returns the rest at settlement', async () => {
    const { payer, w1, job, syncAll } = await farm({ budget: 3_000, pricePerWU: 1000 })
    expect(balance(payer, payer.author)).toBe(7_000)
    expect(payer.state().jobs[job]!.escrow).toBe(3_000)
    await payer.append('verified', pay(job, 1, w1.author, 2_000, 2_000))
    await payer.append('verified', pay(job, 2, w1.author, 2_000, 2_000))
    await payer.append('verified', pay(job, 3, w1.author, 1_000, 1_000))
    expect(balance(payer, w1.author)).toBe(3_000)
    expect(payer.state().jobs[job]!.frames['2']!.paid).toBeNull()
    expect(payer.state().jobs[job]!.escrow).toBe(0)
    expect(creditsTotal(payer.state())).toBe(10_000)
    await payer.append('stitched', { job, video: hex('b') })
    expect(balance(payer, payer.author)).toBe(7_000)

    const again = await farm({ budget: 3_000, pricePerWU: 1000 })
    await again.payer.append('verified', pay(again.job, 1, again.w1.author, 500, 500))
    await again.payer.append('cancel', { job: again.job })
    await again.syncAll()
    for (const node of [again.payer, again.w1, again.w2]) {
      expect(balance(node, again.payer.author)).toBe(9_500)
      expect(balance(node, again.w1.author)).toBe(500)
      expect(creditsTotal(node.state())).toBe(10_000)
    }
    await syncAll()
  })

  it('refuses a verified amount above the price times the capped WU', async () => {
    const { payer, w1, job } = await farm({ pricePerWU: 1000 })
    await payer.append('verified', pay(job, 1, w1.author, 1_001, 1_000))
    expect(balance(payer, w1.author)).toBe(0)
    await payer.append('verified', pay(job, 2, w1.author, 1_000, 1_000))
    expect(balance(payer, w1.author)).toBe(1_000)
  })

  it('takes back what a cheat earned on the job, blocks it, and pays the frames to whoever renders them again', async () => {
    const { payer, w1, w2, job, syncAll } = await farm({ budget: 5_000, pricePerWU: 1000 })
    await payer.append('verified', pay(job, 1, w1.author, 1_000, 1_000))
    await payer.append('verified', pay(job, 2, w1.author, 1_000, 1_000))
    const mismatch = pixelsDispute(job, w1.author, payer.author)
    await payer.append('mismatch', { ...mismatch, ruling: 'open' })
    expect(blockedWorker(payer.state().jobs[job]!, w1.author)).toBe(false)
    expect(mayRenderFrame(payer.state().jobs[job]!, 3, payer.author)).toBe(false)
    expect(mayRenderFrame(payer.state().jobs[job]!, 3, w2.author)).toBe(true)
    await payer.append('mismatch', {
      ...mismatch,
      ruling: 'cheat',
      third: { worker: w2.author, pixelHash: hex('2') },
    })
    await payer.append('verified', pay(job, 4, w1.author, 1_000, 1_000))
    await payer.append('verified', pay(job, 1, w2.author, 1_000, 1_000))
    await syncAll()
    for (const node of [payer, w1, w2]) {
      const record = node.state().jobs[job]!
      expect(blockedWorker(record, w1.author)).toBe(true)
      expect(balance(node, w1.author)).toBe(0)
      expect(balance(node, w2.author)).toBe(1_000)
      expect(record.escrow).toBe(4_000)
      expect(creditsTotal(node.state())).toBe(10_000)
    }
    // Any order of the same entries folds to the same money.
    await expectSameFoldReversed(payer)
  })

  it('returns a failed job’s escrow to the payer when a frame runs out of attempts, on every node', async () => {
    const { payer, w1, w2, job, syncAll } = await farm({ budget: 3_000, pricePerWU: 1000, attempts: 2 })
    await payer.append('verified', pay(job, 1, w1.author, 1_000, 1_000))
    await w1.append('failed', { job, frame: 2, attempt: 1, error: 'boom' })
    await syncAll()
    expect(payer.state().jobs[job]!.escrow).toBe(2_000)
    expect(payer.state().jobs[job]!.settled).toBeNull()
    await w2.append('failed', { job, frame: 2, attempt: 2, error: 'boom' })
    await syncAll()
    for (const node of [payer, w1, w2]) {
      const record = node.state().jobs[job]!
      expect(record.settled).toBe('failed')
      expect(record.escrow).toBe(0)
      expect(balance(node, payer.author)).toBe(9_000)
      expect(balance(node, w1.author)).toBe(1_000)
      expect(creditsTotal(node.state())).toBe(10_000)
    }
    // A payment written after the failure finds no escrow left.
    await payer.append('verified', pay(job, 3, w2.author, 1_000, 1_000))
    expect(balance(payer, w2.author)).toBe(0)
    await expectSameFoldReversed(payer)
  })

  it('pays a worker a third render cleared for its image of the frame, besides the third render, once', async () => {
    const { payer, w1, w2, job, syncAll } = await farm({ budget: 5_000, pricePerWU: 1000 })
    const dispute = pixelsDispute(job, w1.author, payer.author)
    await payer.append('mismatch', { ...dispute, ruling: 'open' })
    await payer.append('verified', { job, frame: 3, worker: w1.author, ok: false, amount: 0, wu: 0 })
    await payer.append('verified', pay(job, 3, w2.author, 1_000, 1_000))
    await payer.append('mismatch', {
      ...dispute,
      ruling: 'cleared',
      third: { worker: w2.author, pixelHash: hex('1') },
    })
    // Without the mark a second payment of the frame is refused; with it, paid once.
    await payer.append('verified', pay(job, 3, w1.author, 1_000, 1_000))
    expect(balance(payer, w1.author)).toBe(0)
    const cleared = { ...pay(job, 3, w1.author, 1_000, 1_000), checked: true, cleared: true }
    await payer.append('verified', cleared)
    await payer.append('verified', cleared)
    // A worker's mark for a frame it was itself paid for is no second payment either.
    await payer.append('verified', { ...pay(job, 3, w2.author, 1_000, 1_000), cleared: true })
    await syncAll()
    for (const node of [payer, w1, w2]) {
      expect(balance(node, w1.author)).toBe(1_000)
      expect(balance(node, w2.author)).toBe(1_000)
      expect(node.state().jobs[job]!.spent).toBe(2_000)
      expect(node.state().jobs[job]!.escrow).toBe(3_000)
      expect(creditsTotal(node.state())).toBe(10_000)
    }
    // Ruled a cheat later on another frame, it gives that payment back too.
    await payer.append('mismatch', {
      ...dispute,
      frame: 4,
      ruling: 'cheat',
      third: { worker: w2.author, pixelHash: hex('2') },
    })
    expect(balance(payer, w1.author)).toBe(0)
    expect(payer.state().jobs[job]!.escrow).toBe(4_000)
    expect(creditsTotal(payer.state())).toBe(10_000)
  })

  it('orders the queue by the payer’s latest price, and folds payments at the price in force', async () => {
    const payer = await newLedger()
    const w1 = await newLedger()
    await payer.append('grant', { to: payer.author, amount: 100_000 })
    const cheap = await payer.append('job', jobBody(payer.author, { name: 'cheap', pricePerWU: 100 }))
    const dear = await payer.append('job', jobBody(payer.author, { name: 'dear', pricePerWU: 500 }))
    expect(jobQueue(payer.state()).map((j) => j.spec!.name)).toEqual(['dear', 'cheap'])
    await syncInto(payer, w1)
    await w1.append('reprice', { job: cheap.hash, pricePerWU: 10_000 })
    await syncInto(w1, payer)
    expect(jobQueue(payer.state()).map((j) => j.spec!.name)).toEqual(['dear', 'cheap'])
    await payer.append('reprice', { job: cheap.hash, pricePerWU: 1_000 })
    expect(jobPrice(payer.state().jobs[cheap.hash]!)).toBe(1_000)
    expect(jobQueue(payer.state()).map((j) => j.spec!.name)).toEqual(['cheap', 'dear'])
    await payer.append('verified', pay(cheap.hash, 1, w1.author, 1_000, 1_000))
    await payer.append('verified', pay(dear.hash, 1, w1.author, 1_000, 1_000))
    expect(balance(payer, w1.author)).toBe(1_000)
  })
})
