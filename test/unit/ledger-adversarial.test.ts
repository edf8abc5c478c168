import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { type Ledger, LedgerError, stateHash } from '../../src/ledger/index.ts'
import { forger, hex, jobBody, newLedger, withSignature } from './ledger-fixtures.ts'

const grant = (to: string) => ({ to, amount: 1000 })
const nothing = { accepted: 0, duplicates: 0, held: [], refused: [], acceptedBy: {}, forks: [], ignored: 0 }

/** Ingests `encoded` into a ledger that already holds `base`, and checks nothing changed. */
async function refusedWithoutChange(ledger: Ledger, encoded: Uint8Array[]) {
  const before = { hash: stateHash(ledger.state()), clock: await ledger.clock() }
  const result = await ledger.ingest(encoded)
  expect(result.accepted).toBe(0)
  expect(stateHash(ledger.state())).toBe(before.hash)
  expect(await ledger.clock()).toEqual(before.clock)
  return result
}

describe('ledger refuses what a misbehaving peer sends', () => {
  it('a bad signature', async () => {
    const ledger = await newLedger()
    const mallory = await forger()
    const good = await mallory.entry({ seq: 1, type: 'grant', body: grant(mallory.author) })
    const tampered = withSignature(good.encoded, new Uint8Array(64).fill(7))
    const result = await refusedWithoutChange(ledger, [tampered])
    expect(result.refused).toEqual([
      expect.objectContaining({ code: 'BAD_SIGNATURE', author: mallory.author, seq: 1 }),
    ])
  })

  it('an entry signed by one key claiming another author', async () => {
    const ledger = await newLedger()
    const alice = await forger()
    const mallory = await forger()
    const claimed = await alice.entry({ seq: 1, type: 'grant', body: grant(mallory.author) }, mallory.key)
    const result = await refusedWithoutChange(ledger, [claimed.encoded])
    expect(result.refused.map((r) => [r.code, r.author])).toEqual([['BAD_SIGNATURE', alice.author]])
  })

  it('a wrong prev, and a Lamport clock that goes backwards', async () => {
    const ledger = await newLedger()
    const mallory = await forger()
    const first = await mallory.entry({ seq: 1, type: 'grant', body: grant(mallory.author) })
    expect((await ledger.ingest([first.encoded])).accepted).toBe(1)
    const badPrev = await mallory.entry({
      seq: 2,
      prev: new Uint8Array(32),
      type: 'grant',
      body: grant(mallory.author),
    })
    // Signed by mallory and not chaining to its seq 1: mallory forked, whoever relays it.
    const forked = await ledger.ingest([badPrev.encoded])
    expect(forked).toMatchObject({ accepted: 0, refused: [], forks: [mallory.author] })
    expect(ledger.forks()).toEqual([mallory.author])
    const prev = Buffer.from(first.entry.hash, 'hex')
    const backwards = await mallory.entry({
      seq: 2,
      prev,
      lamport: 1,
      type: 'grant',
      body: grant(mallory.author),
    })
    expect((await refusedWithoutChange(ledger, [backwards.encoded])).refused[0]?.code).toBe('BAD_LAMPORT')
  })

  it('a gap is held, never applied early, and applied once the gap fills', async () => {
    const ledger = await newLedger()
    const alice = await forger()
    const e1 = await alice.entry({ seq: 1, type: 'grant', body: grant(alice.author) })
    const e2 = await alice.entry({
      seq: 2,
      prev: Buffer.from(e1.entry.hash, 'hex'),
      type: 'grant',
      body: grant(alice.author),
    })
    const held = await refusedWithoutChange(ledger, [e2.encoded])
    expect(held).toEqual({ ...nothing, held: [alice.author] })
    expect(await ledger.ingest([e1.encoded])).toEqual({
      ...nothing,
      accepted: 2,
      acceptedBy: { [alice.author]: { entries: 2, ts: 1_002 } },
    })
    expect(ledger.state().balances[alice.author]).toBe(2000)
  })

  it('a replayed entry is a duplicate, not a change', async () => {
    const ledger = await newLedger()
    const alice = await forger()
    const e1 = await alice.entry({ seq: 1, type: 'grant', body: grant(alice.author) })
    await ledger.ingest([e1.encoded])
    const result = await refusedWithoutChange(ledger, [e1.encoded, e1.encoded])
    expect(result).toEqual({ ...nothing, duplicates: 2 })
  })

  it('a fork is no fault of the sender: the proof goes in this feed and the author counts no more', async () => {
    const ledger = await newLedger()
    const mallory = await forger()
    const e1 = await mallory.entry({ seq: 1, type: 'grant', body: grant(mallory.author) })
    await ledger.ingest([e1.encoded])
    expect(ledger.state().balances[mallory.author]).toBe(1000)
    const other = await mallory.entry({
      seq: 1,
      type: 'grant',
      body: { to: mallory.author, amount: 999_999 },
    })
    const result = await ledger.ingest([other.encoded])
    expect(result).toMatchObject({ accepted: 0, refused: [], forks: [mallory.author] })
    expect(ledger.forks()).toEqual([mallory.author])
    // Forked from seq 1: none of its feed counts, so neither branch's grant does.
    expect(ledger.state().balances[mallory.author] ?? 0).toBe(0)
    expect(ledger.state().clock[ledger.author]).toBe(1)
    const e2 = await mallory.entry({
      seq: 2,
      prev: Buffer.from(e1.entry.hash, 'hex'),
      type: 'grant',
      body: grant(mallory.author),
    })
    await ledger.ingest([e2.encoded])
    expect(ledger.state().balances[mallory.author] ?? 0).toBe(0)
    // The same fork seen again writes no second proof.
    expect((await ledger.ingest([other.encoded])).forks).toEqual([])
    expect(ledger.state().clock[ledger.author]).toBe(1)
  })

  it('an oversized entry, an unknown type, an unknown version, a bad body', async () => {
    const ledger = await newLedger()
    const alice = await forger()
    const oversized = dagCbor.encode({ entry: new Uint8Array(20_000), sig: new Uint8Array(64) })
    const unknownType = await alice.entry({ seq: 1, type: 'bribe', body: grant(alice.author) })
    const unknownVersion = await alice.entry({ v: 2, seq: 1, type: 'grant', body: grant(alice.author) })
    const badBody = await alice.entry({ seq: 1, type: 'grant', body: { to: alice.author, amount: -5 } })
    const extraField = await alice.entry({ seq: 1, type: 'cancel', body: { job: hex('b'), reason: 'x' } })
    const result = await refusedWithoutChange(ledger, [
      oversized,
      unknownType.encoded,
      unknownVersion.encoded,
      badBody.encoded,
      extraField.encoded,
      new Uint8Array([1, 2, 3]),
    ])
    expect(result.refused.map((r) => r.code)).toEqual([
      'OVERSIZE',
      'UNKNOWN_TYPE',
      'UNKNOWN_VERSION',
      'BAD_SCHEMA',
      'BAD_SCHEMA',
      'BAD_ENCODING',
    ])
    expect(result.refused[3]?.message).toMatch(/amount/)
  })

  it('append refuses a bad body with a usage error naming the field', async () => {
    const ledger = await newLedger()
    const error = await ledger
      .append('job', jobBody(ledger.author, { frames: { first: 9, last: 2 } }))
      .catch((e) => e)
    expect(error).toBeInstanceOf(LedgerError)
    expect(error).toMatchObject({ code: 'BAD_SCHEMA', exitCode: 2 })
    expect(error.message).toMatch(/frames\.last is before frames\.first/)
    expect(await ledger.clock()).toEqual({})
  })
})
