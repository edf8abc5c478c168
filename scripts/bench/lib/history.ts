/** Ledger histories for the benches: real entries of the kinds a rendering farm writes. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type EntryBody, type EntryType, type Ledger, openLedger } from '../../../src/ledger/index.ts'

export const SCENE_HASH = 'ab'.repeat(32)

export function jobBody(stitcher: string, i: number, frames = 10_000) {
  return {
    name: `job ${i}`,
    scene: SCENE_HASH,
    sceneFile: 'scene.blend',
    renderer: 'blender' as const,
    frames: { first: 1, last: frames },
    size: { width: 1920, height: 1080 },
    fps: 24,
    pricePerWU: 100,
    stitcher,
    attempts: 3,
    failFast: false,
  }
}

/**
 * A worker's life on one frame of a long render: a claim, lease renewals while rendering, the
 * result. Renewals are what make a real farm's log long while its state stays small.
 */
export function frameWork(
  job: string,
  frame: number,
  renewals: number,
): { type: EntryType; body: EntryBody }[] {
  const items: { type: EntryType; body: EntryBody }[] = []
  for (let i = 0; i <= renewals; i++)
    items.push({ type: 'claim', body: { job, frames: [frame], leaseMs: 120_000 } })
  items.push({
    type: 'rendered',
    body: { job, frame, file: SCENE_HASH, pixelHash: `px${frame}`, renderMs: 60_000 + frame, wu: 1000 },
  })
  return items
}

/** Fills `worker` with `count` entries of frame work on `job`, in appendBatch calls of `batch`. */
export async function work(
  worker: Ledger,
  job: string,
  count: number,
  renewals: number,
  batch = 1000,
  firstFrame = 1,
) {
  let pending: { type: EntryType; body: EntryBody }[] = []
  let written = 0
  for (let frame = firstFrame; written < count; frame++) {
    for (const item of frameWork(job, frame, renewals)) {
      if (written >= count) break
      pending.push(item)
      written += 1
      if (pending.length === batch) {
        await worker.appendBatch(pending)
        pending = []
      }
    }
  }
  if (pending.length) await worker.appendBatch(pending)
}

/**
 * A farm's history of `entries` entries in a new store at `path`: jobs of 100,000 entries each
 * (frames claimed, renewed every few minutes, rendered), every job but the last stitched, as in
 * a store that has run for a while.
 */
export async function buildHistory(path: string, entries: number): Promise<void> {
  const ledger = await openLedger({ path, privateKey: await generateKeyPair('Ed25519') })
  await ledger.append('grant', { to: ledger.author, amount: 1_000_000_000 })
  let left = entries - 1
  for (let i = 0; left > 0; i++) {
    const job = (await ledger.append('job', jobBody(ledger.author, i))).hash
    const n = Math.min(left - 1, 100_000 - 2)
    await work(ledger, job, n, 20, 2000)
    left -= n + 1
    if (left > 0) {
      await ledger.append('stitched', { job, video: SCENE_HASH })
      left -= 1
    }
  }
  await ledger.close()
}
