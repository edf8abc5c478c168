import { describe, expect, it } from 'vitest'
import {
  blockedWorker,
  claimHolder,
  findJob,
  frameStatus,
  hallOfFame,
  jobProgress,
  jobQueue,
  jobStatus,
  type Ledger,
  stateHash,
} from '../../src/ledger/index.ts'
import { hex, jobBody, newLedger, syncInto } from './ledger-fixtures.ts'

/** A payer/stitcher and two workers on one shared clock the test moves by hand. */
async function farm() {
  const clock = { now: 1_000_000 }
  const now = () => clock.now
  const payer = await newLedger({ now })
  const w1 = await newLedger({ now })
  const w2 = await newLedger({ now })
  const all = [payer, w1, w2]
  const syncAll = async () => {
    for (const from of all) for (const to of all) if (from !== to) await syncInto(from, to)
  }
  await payer.append('grant', { to: payer.author, amount: 10_000 })
  const job = await payer.append('job', jobBody(payer.author, { frames: { first: 1, last: 3 } }))
  await syncAll()
  return { clock, payer, w1, w2, job: job.hash, syncAll }
}

describe('the fold', () => {
  it('gives a contested frame to the earlier claim by (lamport, author), the same on every node', async () => {
    const { clock, payer, w1, w2, job, syncAll } = await farm()
    await w1.append('claim', { job, frames: [1], leaseMs: 10_000 })
    await w2.append('claim', { job, frames: [1], leaseMs: 10_000 })
    await syncAll()
    const lamports = [w1, w2].map((w) => w.state().jobs[job]?.frames['1']?.claims[w.author]?.lamport ?? 0)
    const winner =
      lamports[0] === lamports[1] ? [w1, w2].sort((a, b) => (a.author < b.author ? -1 : 1))[0] : w1
    for (const node of [payer, w1, w2]) {
      const record = node.state().jobs[job]!
      expect(frameStatus(record, 1, clock.now)).toMatchObject({
        status: 'claimed',
        holder: { worker: winner!.author },
      })
    }
    expect(stateHash(w1.state())).toBe(stateHash(w2.state()))
  })

  it('a renewal keeps the hold; an expired lease frees the frame and a late claim queues behind', async () => {
    const { clock, payer, w1, w2, job, syncAll } = await farm()
    await w1.append('claim', { job, frames: [2], leaseMs: 10_000 })
    await syncAll()
    clock.now += 8_000
    await w2.append('claim', { job, frames: [2], leaseMs: 10_000 })
    await w1.append('claim', { job, frames: [2], leaseMs: 5_000 })
    await syncAll()
    const record = () => payer.state().jobs[job]!
    clock.now += 4_000
    expect(claimHolder(record(), record().frames['2'], clock.now)?.worker).toBe(w1.author)
    clock.now += 1_001
    expect(claimHolder(record(), record().frames['2'], clock.now)?.worker).toBe(w2.author)
    clock.now += 5_000
    expect(frameStatus(record(), 2, clock.now).status).toBe('open')
    expect(jobStatus(record(), clock.now)).toBe('queued')
  })

  it('pays a verified frame from payer to worker once, and never beyond the payer balance', async () => {
    const { payer, w1, job, syncAll } = await farm()
    await w1.append('rendered', { job, frame: 1, file: hex('1'), pixelHash: 'px1', renderMs: 61_000, wu: 12 })
    await syncAll()
    await payer.append('verified', { job, frame: 1, worker: w1.author, ok: true, amount: 1200 })
    await payer.append('verified', { job, frame: 1, worker: w1.author, ok: true, amount: 1200 })
    await payer.append('verified', { job, frame: 2, worker: w1.author, ok: true, amount: 50_000 })
    await syncAll()
    for (const node of [payer, w1]) {
      expect(node.state().balances).toEqual({ [payer.author]: 8800, [w1.author]: 1200 })
      expect(node.state().jobs[job]?.spent).toBe(1200)
    }
    expect(frameStatus(w1.state().jobs[job]!, 1, 0).status).toBe('verified')
    const fame = hallOfFame(w1.state())
    expect(fame.contributors[0]).toMatchObject({ worker: w1.author, frames: 1, wu: 12, earned: 1200 })
    expect(fame.longestFrame).toEqual({ job, frame: 1, worker: w1.author, renderMs: 61_000 })
  })

  it('lets the stitcher pay for the payer, the same whichever feed a node receives first', async () => {
    const payer = await newLedger()
    const stitcher = await newLedger()
    const worker = await newLedger()
    await payer.append('grant', { to: payer.author, amount: 1000 })
    const job = (await payer.append('job', jobBody(stitcher.author))).hash
    await syncInto(payer, stitcher)
    await stitcher.append('verified', { job, frame: 2, worker: worker.author, ok: true, amount: 700 })
    await stitcher.append('verified', { job, frame: 3, worker: worker.author, ok: true, amount: 700 })
    // The stitcher's store holds the payer's feed too: pretend the receiver has it, to send only the stitcher's.
    const stitcherFeed = async (to: Ledger) => {
      for await (const batch of stitcher.missing({ [payer.author]: Number.MAX_SAFE_INTEGER }))
        await to.ingest(batch)
    }
    const stitcherFirst = await newLedger()
    await stitcherFeed(stitcherFirst)
    expect(stitcherFirst.state().balances).toEqual({})
    await syncInto(payer, stitcherFirst)
    const payerFirst = await newLedger()
    await syncInto(payer, payerFirst)
    await stitcherFeed(payerFirst)
    for (const node of [stitcherFirst, payerFirst]) {
      expect(node.state().balances).toEqual({ [payer.author]: 300, [worker.author]: 700 })
      expect(node.state().jobs[job]?.frames['3']?.paid).toBeNull()
    }
    expect(stateHash(stitcherFirst.state())).toBe(stateHash(payerFirst.state()))
  })

  it('ignores a verdict from anyone but the payer or the stitcher', async () => {
    const { payer, w1, w2, job, syncAll } = await farm()
    await w1.append('rendered', { job, frame: 1, file: hex('1'), pixelHash: 'px1', renderMs: 1000, wu: 1 })
    await w2.append('verified', { job, frame: 1, worker: w1.author, ok: true, amount: 100 })
    await syncAll()
    expect(frameStatus(payer.state().jobs[job]!, 1, 0).status).toBe('rendered')
    expect(payer.state().balances[w1.author]).toBeUndefined()
  })

  it('counts failures: a frame fails after the attempt limit, a worker is blocked after 3 distinct frames', async () => {
    const { payer, w1, w2, job, syncAll } = await farm()
    for (const attempt of [1, 2])
      await w1.append('failed', { job, frame: 3, attempt, error: `Parse Error ${attempt}` })
    await w1.append('failed', { job, frame: 1, attempt: 1, error: 'out of memory' })
    await syncAll()
    let record = payer.state().jobs[job]!
    expect(blockedWorker(record, w1.author)).toBe(false)
    await w1.append('failed', { job, frame: 2, attempt: 1, error: 'out of memory' })
    await syncAll()
    record = payer.state().jobs[job]!
    expect(blockedWorker(record, w1.author)).toBe(true)
    expect(blockedWorker(record, w2.author)).toBe(false)
    expect(frameStatus(record, 3, 0)).toMatchObject({ status: 'open', failures: 2 })
    expect(record.frames['3']?.failedBy).toEqual({ [w1.author]: 2 })
    await w2.append('failed', { job, frame: 3, attempt: 3, error: 'Parse Error 3' })
    await syncAll()
    record = payer.state().jobs[job]!
    expect(frameStatus(record, 3, 0).status).toBe('failed')
    expect(record.frames['3']?.lastError?.error).toBe('Parse Error 3')
    expect(jobStatus(record, 0)).toBe('failed')
  })

  it('a fail-fast job fails at its first frame failure', async () => {
    const { payer, w1, syncAll } = await farm()
    const job = (await payer.append('job', jobBody(payer.author, { failFast: true }))).hash
    await syncAll()
    await w1.append('failed', { job, frame: 2, attempt: 1, error: 'boom' })
    await syncAll()
    expect(payer.state().jobs[job]?.settled).toBe('failed')
  })

  it('settles a stitched or cancelled job and compacts its claims away', async () => {
    const { clock, payer, w1, w2, job, syncAll } = await farm()
    await w1.append('claim', { job, frames: [1, 2, 3], leaseMs: 60_000 })
    await w1.append('rendered', { job, frame: 1, file: hex('1'), pixelHash: 'px', renderMs: 10, wu: 1 })
    await syncAll()
    expect(jobProgress(payer.state().jobs[job]!, clock.now)).toMatchObject({
      claimed: 2,
      rendered: 1,
      total: 3,
    })
    await w2.append('cancel', { job })
    await syncAll()
    expect(jobStatus(payer.state().jobs[job]!, clock.now)).toBe('running')
    await payer.append('cancel', { job })
    await w1.append('claim', { job, frames: [2], leaseMs: 60_000 })
    await syncAll()
    for (const node of [payer, w1, w2]) {
      const record = node.state().jobs[job]!
      expect(record.settled).toBe('cancelled')
      expect(Object.values(record.frames).every((f) => Object.keys(f.claims).length === 0)).toBe(true)
      expect(Object.keys(record.frames)).toEqual(['1'])
    }
    expect(jobQueue(payer.state())).toEqual([])
    const stitchedJob = (await payer.append('job', jobBody(payer.author, { name: 'two' }))).hash
    await payer.append('stitched', { job: stitchedJob, video: hex('9') })
    expect(jobStatus(payer.state().jobs[stitchedJob]!, clock.now)).toBe('stitched')
  })

  it('compacts the same whether a late claim arrives before or after the cancel', async () => {
    const { payer, w1, job } = await farm()
    await w1.append('claim', { job, frames: [1], leaseMs: 60_000 })
    await payer.append('cancel', { job })
    const claimFirst = await newLedger()
    const cancelFirst = await newLedger()
    await syncInto(w1, claimFirst)
    await syncInto(payer, claimFirst)
    await syncInto(payer, cancelFirst)
    await syncInto(w1, cancelFirst)
    expect(stateHash(claimFirst.state())).toBe(stateHash(cancelFirst.state()))
    expect(claimFirst.state().jobs[job]?.frames).toEqual({})
  })

  it('orders the queue by price then age, a job its payer cannot pay last, and finds jobs by id prefix', async () => {
    const { clock, payer, w1, job } = await farm()
    clock.now += 1
    const rich = (await payer.append('job', jobBody(payer.author, { pricePerWU: 500 }))).hash
    clock.now += 1
    const free = (await payer.append('job', jobBody(payer.author, { pricePerWU: 0 }))).hash
    clock.now += 1
    const later = (await payer.append('job', jobBody(payer.author))).hash
    // w1 holds no credits: its job waits behind every other, whatever it offers.
    const broke = (await w1.append('job', jobBody(w1.author, { pricePerWU: 900 }))).hash
    await syncInto(w1, payer)
    expect(jobQueue(payer.state()).map((j) => j.id)).toEqual([rich, job, later, free, broke])
    expect(findJob(payer.state(), rich.slice(0, 10))?.id).toBe(rich)
    expect(findJob(payer.state(), 'zz')).toBeUndefined()
  })

  it('records nodes and captures per day', async () => {
    const { w1 } = await farm()
    await w1.append('node', { name: 'pi', owner: 'ann', renderers: [], cores: 4, wupm: 0.2 })
    await w1.append('node', {
      name: 'pi-4',
      owner: 'ann',
      renderers: [{ name: 'povray', version: '3.7.0.10' }],
      cores: 4,
      wupm: 0.25,
    })
    await w1.append('capture', { day: '2026-11-20', time: '090000', file: hex('c') })
    await w1.append('capture', {
      day: '2026-11-20',
      time: '100000',
      file: hex('d'),
      width: 1920,
      height: 1080,
    })
    const state = w1.state()
    expect(state.nodes[w1.author]).toMatchObject({ name: 'pi-4', wupm: 0.25, seq: 2 })
    expect(state.captures[w1.author]?.['2026-11-20']).toEqual({ count: 2, last: '100000', file: hex('d') })
  })
})
