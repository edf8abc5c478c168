import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { PNG } from 'pngjs'
import { afterAll, describe, expect, it } from 'vitest'
import { blenderSetup } from '../../src/render/blender.ts'
import {
  assembleTiles,
  checkFrame,
  cropToRegion,
  parseTileGrid,
  RenderError,
  tileGridProblem,
  tileRegion,
} from '../../src/render/index.ts'
import { povrayArgs } from '../../src/render/povray.ts'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('tile grids', () => {
  it('parses COLUMNSxROWS and refuses anything else with exit code 2', () => {
    expect(parseTileGrid('4x4')).toEqual({ cols: 4, rows: 4 })
    expect(parseTileGrid(' 3X2 ')).toEqual({ cols: 3, rows: 2 })
    for (const bad of ['4', '0x4', '4x', 'axb', '65x1', '-1x2']) {
      const err = (() => {
        try {
          parseTileGrid(bad)
        } catch (e) {
          return e as RenderError
        }
      })()
      expect(err, bad).toBeInstanceOf(RenderError)
      expect(err?.code).toBe('BAD_TILES')
      expect(err?.exitCode).toBe(2)
      expect(err?.message).toContain(`'${bad}'`)
    }
    expect(tileGridProblem({ width: 3, height: 40 }, { cols: 4, rows: 4 })).toMatch(/more tiles than/)
    expect(tileGridProblem({ width: 64, height: 48 }, { cols: 4, rows: 4 })).toBeUndefined()
  })

  it('covers every pixel of the image exactly once, numbered left to right, top to bottom', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        (width, height, cols, rows) => {
          fc.pre(cols <= width && rows <= height)
          const seen = new Uint8Array(width * height)
          for (let t = 1; t <= cols * rows; t++) {
            const r = tileRegion({ width, height }, { cols, rows }, t)
            expect(r.width).toBeGreaterThan(0)
            expect(r.height).toBeGreaterThan(0)
            for (let y = r.y; y < r.y + r.height; y++)
              for (let x = r.x; x < r.x + r.width; x++) seen[y * width + x]! += 1
          }
          expect(seen.every((n) => n === 1)).toBe(true)
        },
      ),
    )
    expect(tileRegion({ width: 64, height: 48 }, { cols: 4, rows: 4 }, 2)).toEqual({
      x: 16,
      y: 0,
      width: 16,
      height: 12,
    })
    expect(tileRegion({ width: 64, height: 48 }, { cols: 4, rows: 4 }, 5)).toEqual({
      x: 0,
      y: 12,
      width: 16,
      height: 12,
    })
  })
})

describe('cutting and assembling tiles', () => {
  it('crops each tile out of a whole-size image and assembles the same pixels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'farm-tiles-'))
    dirs.push(dir)
    const size = { width: 37, height: 23 }
    const image = new PNG(size)
    for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 7919) % 251
    for (let i = 3; i < image.data.length; i += 4) image.data[i] = 255
    const whole = join(dir, 'whole.png')
    await writeFile(whole, PNG.sync.write(image))
    const grid = { cols: 3, rows: 4 }
    const tiles = []
    for (let t = 1; t <= 12; t++) {
      const region = tileRegion(size, grid, t)
      const file = join(dir, `tile-${t}.png`)
      await cropToRegion(whole, region, file)
      expect(await checkFrame(file, { width: region.width, height: region.height })).toBeTruthy()
      tiles.push({ file, region })
    }
    await assembleTiles(tiles, size, join(dir, 'still.png'))
    expect((await checkFrame(join(dir, 'still.png'), size)).pixelHash).toBe(
      (await checkFrame(whole)).pixelHash,
    )
    // A tile of the wrong size is not put in.
    await expect(
      assembleTiles([{ file: tiles[0]!.file, region: tiles[5]!.region }], size, join(dir, 'x.png')),
    ).rejects.toThrow(/not its tile's/)
  })
})

describe("renderers' arguments for a tile", () => {
  const request = {
    scene: '/s/scene.pov',
    frames: [7],
    animation: { first: 7, last: 7 },
    size: { width: 64, height: 48 },
    threads: 1,
    workDir: '/w',
    region: { x: 16, y: 12, width: 16, height: 12 },
  }
  it('asks POV-Ray for the tile and one pixel more all round (its anti-aliasing looks at neighbours)', () => {
    expect(povrayArgs(request)).toEqual(expect.arrayContaining(['+SC16', '+EC33', '+SR12', '+ER25']))
    const corner = povrayArgs({ ...request, region: { x: 0, y: 0, width: 16, height: 12 } })
    expect(corner).toEqual(expect.arrayContaining(['+SC1', '+EC17', '+SR1', '+ER13']))
  })
  it('gives Blender an uncropped border, bottom-up, and refuses denoising', () => {
    const setup = blenderSetup(request)
    expect(setup).toContain('s.render.use_crop_to_border = False')
    expect(setup).toContain(`s.render.border_min_x = ${(16.25 / 64).toFixed(8)}`)
    expect(setup).toContain(`s.render.border_max_y = ${(36.25 / 48).toFixed(8)}`)
    expect(setup).toMatch(/denoising on, which would show seams/)
    expect(blenderSetup({ size: request.size })).not.toContain('use_border')
  })
})
