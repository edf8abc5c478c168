import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import { decodeEntry, foldEntries, type Ledger, stateHash } from '../../src/ledger/index.ts'
import { STATE_VERSION } from '../../src/ledger/state.ts'
import { jobBody, newLedger, syncInto } from './ledger-fixtures.ts'

/** Every entry a ledger holds, folded from scratch: what any version of the store must load as. */
async function reference(ledger: Ledger): Promise<string> {
  const all: Uint8Array[] = []
  for await (const batch of ledger.missing({})) all.push(...batch)
  return stateHash(foldEntries(all.map((e) => decodeEntry(e).entry)))
}

/** Rewrites a closed store's folded state as the first version of the fold left it. */
async function downgrade(path: string) {
  const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  const ops: { type: 'put' | 'del'; key: string; value?: Uint8Array }[] = [{ type: 'del', key: 's!version' }]
  for await (const [key, value] of db.iterator({ gte: 's!frame!', lt: 's!frame!~' })) {
    const { failedBy: _failedBy, ...frame } = dagCbor.decode(value) as Record<string, unknown>
    const claims = frame.claims as Record<string, Record<string, number>>
    for (const claim of Object.values(claims)) delete claim.since
    ops.push({ type: 'put', key, value: dagCbor.encode(frame) })
  }
  for await (const [key, value] of db.iterator({ gte: 's!job!', lt: 's!job!~' })) {
    const job = dagCbor.decode(value) as Record<string, unknown>
    ops.push({ type: 'put', key, value: dagCbor.encode({ ...job, failuresByWorker: { someone: 3 } }) })
  }
  await db.batch(ops as never)
  const version = await db.get('s!version')
  await db.close()
  return version
}

describe('a store folded by an older version', () => {
  it('is folded again from its entries when opened, once', async () => {
    const clock = { now: 1_000_000 }
    const privateKey = await generateKeyPair('Ed25519')
    const payer = await newLedger({ privateKey, now: () => clock.now })
    const worker = await newLedger({ now: () => clock.now })
    await payer.append('grant', { to: payer.author, amount: 1000 })
    const job = (await payer.append('job', jobBody(payer.author))).hash
    await syncInto(payer, worker)
    await worker.append('claim', { job, frames: [1, 2], leaseMs: 10_000 })
    clock.now += 5_000
    await worker.append('claim', { job, frames: [1, 2], leaseMs: 10_000 })
    await worker.append('failed', { job, frame: 2, attempt: 1, error: 'Parse Error' })
    await syncInto(worker, payer)
    const expected = await reference(payer)
    const path = payer.path
    await payer.close()
    expect(await downgrade(path)).toBeUndefined()

    const reopened = await newLedger({ path, privateKey, now: () => clock.now })
    expect(stateHash(reopened.state())).toBe(expected)
    const frame = reopened.state().jobs[job]!.frames['1']!
    expect(frame.claims[worker.author]).toMatchObject({ since: 1_000_000, expiresAt: 1_015_000 })
    expect(reopened.state().jobs[job]!.frames['2']!.failedBy).toEqual({ [worker.author]: 1 })
    await reopened.close()

    const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    const version = await db.get('s!version')
    await db.close()
    expect(dagCbor.decode(version!)).toBe(STATE_VERSION)
    const again = await newLedger({ path, privateKey })
    expect(stateHash(again.state())).toBe(expected)
  })
})
