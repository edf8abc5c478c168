/**
 * What a long render leaves in the ledger: a job of `frames` 2-minute frames rendered by
 * `workers` workers in simulated time, each frame as farm's worker writes it (worker.ts: a claim
 * with a 2-minute lease, the claim again every lease / RENEWALS_PER_LEASE while it renders, the
 * result) and the stitcher's verdict, all ingested into one store as the swarm would hold them.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { DEFAULT_LEASE_MS } from '../../../src/farm/index.ts'
import { type EntryBody, type EntryType, type Ledger, openLedger } from '../../../src/ledger/index.ts'
import { jobBody, SCENE_HASH } from './history.ts'

/** worker.ts's RENEWALS_PER_LEASE (not exported there): a claim is written again every lease / 3. */
export const RENEWALS_PER_LEASE = 3
export const FRAME_MS = 120_000

export interface FrameLedger {
  frames: number
  entries: number
  bytes: number
  diskBytes: number
  /** Entries and bytes by kind: `claim` (first claims), `renewal`, `rendered`, `verified`, `other`. */
  byKind: Record<string, { entries: number; bytes: number }>
  renewalsPerFrame: number
}

async function diskBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size
  return total
}

export async function measureFrames(dir: string, frames: number, workers = 4): Promise<FrameLedger> {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const clock = () => now
  const open = async (name: string) =>
    openLedger({ path: join(dir, name), privateKey: await generateKeyPair('Ed25519'), now: clock })
  const stitcher = await open('stitcher')
  const crew: Ledger[] = []
  for (let i = 0; i < workers; i++) crew.push(await open(`worker-${i}`))
  const byKind: FrameLedger['byKind'] = {}
  const tally = (kind: string, bytes: number) => {
    byKind[kind] ??= { entries: 0, bytes: 0 }
    byKind[kind].entries += 1
    byKind[kind].bytes += bytes
  }
  const firstClaims = new Set<string>()
  for (const ledger of [stitcher, ...crew]) {
    ledger.onEntries((entries, encoded, origin) => {
      if (origin !== 'local') return
      entries.forEach((e, i) => {
        let kind: string = ['claim', 'rendered', 'verified'].includes(e.type) ? e.type : 'other'
        if (e.type === 'claim') {
          const key = `${(e.body as { frames: number[] }).frames[0]}`
          kind = firstClaims.has(key) ? 'renewal' : 'claim'
          firstClaims.add(key)
        }
        tally(kind, encoded[i]!.byteLength)
      })
    })
  }

  await stitcher.append('grant', { to: stitcher.author, amount: 1_000_000_000_000 })
  const job = (await stitcher.append('job', jobBody(stitcher.author, 0, frames))).hash
  for (const w of crew) {
    await w.append('node', { name: 'worker', owner: 'bench', renderers: [], cores: 2, wupm: 1 })
    await w.append('accept', { job })
  }
  const renewalEvery = DEFAULT_LEASE_MS / RENEWALS_PER_LEASE
  const renewals = Math.floor(FRAME_MS / renewalEvery)
  const start = now
  const verdicts: { type: EntryType; body: EntryBody }[] = []
  for (let frame = 1; frame <= frames; frame++) {
    const w = (frame - 1) % workers
    const worker = crew[w]!
    // The workers render side by side: worker w's k-th frame starts k frame-times after the start.
    const begins = start + Math.floor((frame - 1) / workers) * (FRAME_MS + 1_000)
    now = begins
    await worker.append('claim', { job, frames: [frame], leaseMs: DEFAULT_LEASE_MS })
    for (let r = 1; r <= renewals; r++) {
      now = begins + r * renewalEvery
      await worker.append('claim', { job, frames: [frame], leaseMs: DEFAULT_LEASE_MS })
    }
    now = begins + FRAME_MS + 500
    await worker.append('rendered', {
      job,
      frame,
      file: SCENE_HASH,
      pixelHash: `sha256:${SCENE_HASH}`,
      renderMs: FRAME_MS,
      wu: 2_000,
    })
    verdicts.push({
      type: 'verified',
      body: { job, frame, worker: worker.author, ok: true, amount: 200_000 },
    })
    if (verdicts.length === 100 || frame === frames) await stitcher.appendBatch(verdicts.splice(0))
  }
  for (const worker of crew) await stitcher.ingestStream(worker.missing(await stitcher.clock()))
  let entries = 0
  let bytes = 0
  for await (const batch of stitcher.missing({})) {
    entries += batch.length
    bytes += batch.reduce((n, e) => n + e.byteLength, 0)
  }
  await Promise.all([stitcher.close(), ...crew.map((w) => w.close())])
  return {
    frames,
    entries,
    bytes,
    diskBytes: await diskBytes(join(dir, 'stitcher')),
    byKind,
    renewalsPerFrame: renewals,
  }
}
