import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { checkFrame, RenderError } from '../../src/render/index.ts'
import { tempDir } from '../helpers/farm.ts'

function png(
  width: number,
  height: number,
  opts: { seed?: number; text?: string; bitDepth?: 8 | 16 } = {},
): Buffer {
  const image = new PNG({ width, height, bitDepth: opts.bitDepth ?? 8 })
  for (let i = 0; i < width * height * 4; i++) image.data[i] = (i * 31 + (opts.seed ?? 0)) & 0xff
  const bytes = PNG.sync.write(image, { bitDepth: opts.bitDepth ?? 8 })
  if (opts.text === undefined) return bytes
  // A tEXt chunk just before IEND, as renderers add (creation time, render time).
  const data = Buffer.from(`Comment\0${opts.text}`, 'latin1')
  const chunk = Buffer.alloc(12 + data.length)
  chunk.writeUInt32BE(data.length, 0)
  chunk.write('tEXt', 4, 'latin1')
  data.copy(chunk, 8)
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length)
  return Buffer.concat([bytes.subarray(0, bytes.length - 12), chunk, bytes.subarray(bytes.length - 12)])
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1))
  }
  return ~crc >>> 0
}

describe('checkFrame', () => {
  it('gives the same pixel hash for files that differ only in metadata', async () => {
    const dir = await tempDir()
    const a = png(16, 12, { text: 'rendered at 10:00' })
    const b = png(16, 12, { text: 'rendered at 10:07, 3.2 s' })
    expect(a.equals(b)).toBe(false)
    await writeFile(join(dir, 'a.png'), a)
    await writeFile(join(dir, 'b.png'), b)
    const [ha, hb] = await Promise.all([checkFrame(join(dir, 'a.png')), checkFrame(join(dir, 'b.png'))])
    expect(ha).toEqual(hb)
    expect(ha).toMatchObject({ width: 16, height: 12 })
  })

  it('gives a different hash when one pixel differs, or at another depth', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'a.png'), png(16, 12))
    await writeFile(join(dir, 'b.png'), png(16, 12, { seed: 1 }))
    await writeFile(join(dir, 'c.png'), png(16, 12, { bitDepth: 16 }))
    const hashes = await Promise.all(
      ['a', 'b', 'c'].map(async (n) => (await checkFrame(join(dir, `${n}.png`))).pixelHash),
    )
    expect(new Set(hashes).size).toBe(3)
  })

  it('names a missing, undecodable or wrong-size frame', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'half.png'), png(16, 12).subarray(0, 60))
    await writeFile(join(dir, 'small.png'), png(16, 12))
    await expect(checkFrame(join(dir, 'none.png'))).rejects.toThrow(/none\.png is missing/)
    await expect(checkFrame(join(dir, 'half.png'))).rejects.toThrow(/half\.png does not decode/)
    await expect(checkFrame(join(dir, 'small.png'), { width: 64, height: 48 })).rejects.toThrow(
      /is 16x12, not the asked 64x48/,
    )
    await expect(checkFrame(join(dir, 'none.png'))).rejects.toBeInstanceOf(RenderError)
  })
})
