import { generateKeyPair } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'
import { openLedger, stateHash } from '../../src/ledger/index.ts'
import { tempDir } from '../helpers/farm.ts'
import { hex, jobBody, newLedger, syncInto } from './ledger-fixtures.ts'

describe('ledger replication', () => {
  it('two stores reach the same state through clock and missing', async () => {
    const a = await newLedger()
    const b = await newLedger()
    await a.append('grant', { to: a.author, amount: 10_000 })
    const job = await a.append('job', jobBody(a.author))
    await syncInto(a, b)
    await b.append('node', {
      name: 'b',
      owner: 'bea',
      renderers: [{ name: 'povray', version: '3.7' }],
      cores: 2,
      wupm: 1.5,
    })
    await b.append('claim', { job: job.hash, frames: [1, 2], leaseMs: 60_000 })
    await b.append('rendered', {
      job: job.hash,
      frame: 1,
      file: hex('f'),
      pixelHash: 'p1',
      renderMs: 900,
      wu: 15,
    })
    await syncInto(b, a)
    await a.append('verified', { job: job.hash, frame: 1, worker: b.author, ok: true, amount: 1500 })
    await syncInto(a, b)

    expect(await a.clock()).toEqual(await b.clock())
    expect(stateHash(a.state())).toBe(stateHash(b.state()))
    expect(b.state().balances).toEqual({ [a.author]: 8500, [b.author]: 1500 })
    expect(b.state().nodes[b.author]?.name).toBe('b')
  })

  it('ingestStream applies a whole sync in order and sums what happened', async () => {
    const a = await newLedger()
    const b = await newLedger()
    await a.appendBatch(
      Array.from({ length: 40 }, (_, i) => ({
        type: 'grant' as const,
        body: { to: a.author, amount: i + 1 },
      })),
    )
    await b.ingest((await a.missing({}, { maxBatchEntries: 5 })[Symbol.asyncIterator]().next()).value)
    const result = await b.ingestStream(a.missing({}, { maxBatchEntries: 5 }))
    expect(result).toEqual({
      accepted: 35,
      duplicates: 5,
      held: [],
      refused: [],
      acceptedBy: { [a.author]: { entries: 35, ts: expect.any(Number) } },
      forks: [],
      ignored: 0,
    })
    expect(stateHash(b.state())).toBe(stateHash(a.state()))
  })

  it('missing() sends only what the other lacks, in bounded batches', async () => {
    const a = await newLedger()
    await a.appendBatch(
      Array.from({ length: 25 }, (_, i) => ({
        type: 'grant' as const,
        body: { to: a.author, amount: i + 1 },
      })),
    )
    const batches: Uint8Array[][] = []
    for await (const batch of a.missing({ [a.author]: 5 }, { maxBatchEntries: 8 })) batches.push(batch)
    expect(batches.map((b) => b.length)).toEqual([8, 8, 4])
    const small: Uint8Array[][] = []
    for await (const batch of a.missing({}, { maxBatchBytes: 1 })) small.push(batch)
    expect(small).toHaveLength(25)
    for await (const _ of a.missing({ [a.author]: 25 })) expect.unreachable('nothing is missing')
  })

  it('a restart reopens the folded state without replaying the log', async () => {
    const path = await tempDir('farm-ledger-')
    const privateKey = await generateKeyPair('Ed25519')
    const first = await openLedger({ path, privateKey })
    await first.append('grant', { to: first.author, amount: 5 })
    const hash = stateHash(first.state())
    await first.close()
    const again = await newLedger({ path, privateKey })
    expect(stateHash(again.state())).toBe(hash)
    const next = await again.append('grant', { to: again.author, amount: 5 })
    expect(next.seq).toBe(2)
    expect(again.state().balances[again.author]).toBe(10)
  })

  it('says when another process holds the store', async () => {
    const ledger = await newLedger()
    const error = await openLedger({ path: ledger.path, privateKey: await generateKeyPair('Ed25519') }).catch(
      (e) => e,
    )
    expect(error).toMatchObject({ code: 'LOCKED', exitCode: 2 })
    expect(error.message).toContain(ledger.path)
    const secp = await generateKeyPair('secp256k1')
    await expect(openLedger({ path: ledger.path, privateKey: secp })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    })
  })

  it('tells listeners about local and remote entries', async () => {
    const a = await newLedger()
    const b = await newLedger()
    const seen: string[] = []
    b.onEntries((entries, encoded, origin) =>
      seen.push(`${origin}:${entries.map((e) => e.type).join(',')}:${encoded.length}`),
    )
    await b.append('grant', { to: b.author, amount: 1 })
    await a.append('grant', { to: a.author, amount: 1 })
    await syncInto(a, b)
    expect(seen).toEqual(['local:grant:1', 'remote:grant:1'])
  })
})
