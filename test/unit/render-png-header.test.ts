import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { checkFrame } from '../../src/render/index.ts'
import { parsePngHeader } from '../../src/render/png-header.ts'
import { tempDir } from '../helpers/farm.ts'

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'latin1')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

/**
 * A PNG bomb: a header declaring width x height RGBA and an IDAT of zero rows that inflates to
 * that size, `rows` rows of it actually present (a whole 20000x20000 would take a while to deflate).
 */
function bomb(width: number, height: number, opts: { rows?: number; interlace?: boolean } = {}): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 6, 0, 0, opts.interlace ? 1 : 0], 8)
  const rows = Buffer.alloc((width * 4 + 1) * (opts.rows ?? 1))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

describe('the PNG header check', () => {
  it('reads width, height and interlace from the first 33 bytes', () => {
    expect(parsePngHeader(bomb(20000, 20000))).toMatchObject({
      width: 20000,
      height: 20000,
      interlaced: false,
    })
    expect(parsePngHeader(Buffer.from('GIF89a............................'))).toMatch(/no PNG signature/)
    expect(parsePngHeader(Buffer.alloc(10))).toMatch(/too short/)
  })

  it('refuses a frame declaring 20000x20000 for a 64x48 job without decoding it', async () => {
    const file = join(await tempDir(), 'bomb.png')
    await writeFile(file, bomb(20000, 20000))
    const before = process.memoryUsage().rss
    const started = performance.now()
    await expect(checkFrame(file, { width: 64, height: 48 })).rejects.toThrow(
      /is 20000x20000, not the asked 64x48/,
    )
    // Decoding would allocate 1.6 GB and take seconds; the header takes neither.
    expect(performance.now() - started).toBeLessThan(2000)
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024)
  })

  it('refuses, with no size to compare, more pixels than any job may have, and interlaced frames', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'huge.png'), bomb(20000, 20000))
    await writeFile(join(dir, 'adam7.png'), bomb(64, 48, { interlace: true }))
    await expect(checkFrame(join(dir, 'huge.png'))).rejects.toThrow(
      /declares 20000x20000 pixels, more than any frame/,
    )
    await expect(checkFrame(join(dir, 'adam7.png'), { width: 64, height: 48 })).rejects.toThrow(/interlaced/)
  })

  it('still decodes a well-formed frame, off the main thread, to its pixel hash', async () => {
    const file = join(await tempDir(), 'ok.png')
    await writeFile(file, bomb(64, 48, { rows: 48 }))
    const check = await checkFrame(file, { width: 64, height: 48 })
    expect(check).toMatchObject({ width: 64, height: 48 })
    expect(check.pixelHash).toMatch(/^[0-9a-f]{64}$/)
  })
})
