import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { framePath } from '../../src/capture/index.ts'
import { CaptureShare, capturesInLedger, FarmNode } from '../../src/farm/index.ts'
import { clockedCapturer } from '../helpers/capture.ts'
import { runFarm, tempDir } from '../helpers/farm.ts'

describe('capture --share on the node in-process', () => {
  it('announces each frame with its blob, and drops the blob when --keep-days prunes the frame', async () => {
    const root = await tempDir('farm-share-prune-')
    const home = join(root, 'home')
    const dir = join(root, 'capture')
    const made = await runFarm(['init', '--home', home, '--name', 'pi', '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect(made.exitCode, made.all).toBe(0)
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'))
    await writeFile(join(home, 'config.json'), JSON.stringify({ ...config, mdns: false }))
    const node = new FarmNode({ home, noRender: true })
    await node.start()
    try {
      const share = new CaptureShare({
        node,
        pathOf: (f) => framePath(dir, f.day, f.file),
        source: 'test pattern 64x48',
      })
      const { captureAt } = clockedCapturer(dir, {
        keepDays: 1,
        onSaved: async (day, f) => {
          await share.announce({ day, ...f })
        },
        onPruned: (day, frames) => share.forget(frames.map((f) => ({ day, ...f }))),
      })
      const [first] = await captureAt(['2026-11-20T10:00:00Z'])
      if (first?.status !== 'saved') throw new Error(`no frame: ${JSON.stringify(first)}`)
      const blob = node.blobs.path(first.frame.sha256)
      expect(existsSync(blob)).toBe(true)
      await captureAt(['2026-11-22T10:00:00Z'])
      expect(existsSync(framePath(dir, '2026-11-20', first.frame.file))).toBe(false)
      expect(existsSync(blob)).toBe(false)
      const announced = []
      for await (const a of capturesInLedger(node.ledger, 'mine')) announced.push(a)
      expect(announced.map((a) => [a.day, a.time, a.source])).toEqual([
        ['2026-11-20', '100000', 'test pattern 64x48'],
        ['2026-11-22', '100000', 'test pattern 64x48'],
      ])
      expect(announced[0]).toMatchObject({ hash: first.frame.sha256, bytes: first.frame.size })
    } finally {
      await node.stop()
    }
  })
})
