import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import { type Ledger, openLedger, stateHash } from '../../src/ledger/index.ts'
import { tempDir } from '../helpers/farm.ts'

const open: Ledger[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()))
})

async function newLedger(now?: () => number): Promise<Ledger> {
  const ledger = await openLedger({
    path: await tempDir('farm-ledger-'),
    privateKey: await generateKeyPair('Ed25519'),
    ...(now ? { now } : {}),
  })
  open.push(ledger)
  return ledger
}

async function syncInto(from: Ledger, to: Ledger, batch = 7) {
  for await (const encoded of from.missing(await to.clock(), { maxBatchEntries: batch })) {
    const result = await to.ingest(encoded)
    expect(result.refused).toEqual([])
  }
}

const SCENE = 'a'.repeat(64)

describe('ledger replication', () => {
  it('two stores reach the same state through clock and missing', async () => {
    const a = await newLedger()
    const b = await newLedger()
    await a.append('grant', { to: a.author, amount: 10_000 })
    const job = await a.append('job', {
      name: 'spheres',
      scene: SCENE,
      sceneFile: 'scene.pov',
      renderer: 'povray',
      frames: { first: 1, last: 4 },
      size: { width: 64, height: 48 },
      fps: 24,
      pricePerWU: 100,
      stitcher: a.author,
      attempts: 3,
      failFast: false,
    })
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
      file: SCENE,
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

  it('a restart reopens the folded state without replaying the log', async () => {
    const path = await tempDir('farm-ledger-')
    const privateKey = await generateKeyPair('Ed25519')
    const first = await openLedger({ path, privateKey })
    await first.append('grant', { to: first.author, amount: 5 })
    const hash = stateHash(first.state())
    await first.close()
    const again = await openLedger({ path, privateKey })
    open.push(again)
    expect(stateHash(again.state())).toBe(hash)
    const next = await again.append('grant', { to: again.author, amount: 5 })
    expect(next.seq).toBe(2)
    expect(again.state().balances[again.author]).toBe(10)
  })
})
