/**
 * A ledger writer for the crash test: appends for ever (single entries and batches, with money so
 * the money index and re-folds are exercised) and prints each committed seq. The test SIGKILLs it.
 * Usage: node ledger-writer.ts <store dir> <identity.key>
 */
import { readFile } from 'node:fs/promises'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { openLedger } from '../../src/ledger/index.ts'

const [path, keyFile] = process.argv.slice(2)
const ledger = await openLedger({ path: path!, privateKey: privateKeyFromProtobuf(await readFile(keyFile!)) })
const me = ledger.author
const scene = 'ab'.repeat(32)
if (!ledger.state().granted) await ledger.append('grant', { to: me, amount: 1_000_000 })
const job = await ledger.append('job', {
  name: 'crash',
  scene,
  sceneFile: 'scene.pov',
  renderer: 'povray',
  frames: { first: 1, last: 100_000 },
  size: { width: 64, height: 48 },
  fps: 24,
  pricePerWU: 1,
  stitcher: me,
  attempts: 3,
  failFast: false,
})
for (let frame = 1; ; frame++) {
  if (frame % 2 === 0) {
    await ledger.appendBatch([
      { type: 'claim', body: { job: job.hash, frames: [frame], leaseMs: 60_000 } },
      {
        type: 'rendered',
        body: { job: job.hash, frame, file: scene, pixelHash: `px${frame}`, renderMs: frame, wu: 3 },
      },
      { type: 'verified', body: { job: job.hash, frame, worker: me, ok: true, amount: 3 } },
    ])
  } else {
    await ledger.append('capture', {
      day: '2026-11-21',
      time: String(frame % 240000).padStart(6, '0'),
      file: scene,
    })
  }
  process.stdout.write(`seq ${(await ledger.clock())[me]}\n`)
}
