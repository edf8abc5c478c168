import { readFile, writeFile } from 'node:fs/promises'
import type { PNG } from 'pngjs'
import { RenderError } from './errors.ts'
import type { Size } from './frames.ts'

/** A still split into columns x rows tiles, numbered 1..cols*rows left to right, top to bottom. */
export interface TileGrid {
  cols: number
  rows: number
}

/** A rectangle of pixels of the whole image, from its top-left corner. */
export interface Region {
  x: number
  y: number
  width: number
  height: number
}

export const MAX_TILES_PER_SIDE = 64

/** "4x4" -> { cols: 4, rows: 4 }. */
export function parseTileGrid(text: string): TileGrid {
  const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text)
  if (!match) throw RenderError.BAD_TILES(text, 'is not COLUMNSxROWS')
  const cols = Number(match[1])
  const rows = Number(match[2])
  if (cols < 1 || rows < 1 || cols > MAX_TILES_PER_SIDE || rows > MAX_TILES_PER_SIDE)
    throw RenderError.BAD_TILES(text, `needs 1 to ${MAX_TILES_PER_SIDE} columns and rows`)
  return { cols, rows }
}

/** Why `grid` cannot split an image of `size` (a tile would be empty), else undefined. */
export function tileGridProblem(size: Size, grid: TileGrid): string | undefined {
  if (grid.cols > size.width || grid.rows > size.height)
    return `has more tiles than the ${size.width}x${size.height} image has pixels`
  return undefined
}

/** Tile `tile` (1-based) of the grid: edges at floor(i * side / n), so tiles cover the image once. */
export function tileRegion(size: Size, grid: TileGrid, tile: number): Region {
  const index = tile - 1
  const col = index % grid.cols
  const row = Math.floor(index / grid.cols)
  const x0 = Math.floor((col * size.width) / grid.cols)
  const x1 = Math.floor(((col + 1) * size.width) / grid.cols)
  const y0 = Math.floor((row * size.height) / grid.rows)
  const y1 = Math.floor(((row + 1) * size.height) / grid.rows)
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

/** The region grown by `margin` pixels on each side, within the image. */
export function grownRegion(region: Region, size: Size, margin: number): Region {
  const x = Math.max(0, region.x - margin)
  const y = Math.max(0, region.y - margin)
  const right = Math.min(size.width, region.x + region.width + margin)
  const bottom = Math.min(size.height, region.y + region.height + margin)
  return { x, y, width: right - x, height: bottom - y }
}

async function pngjs(): Promise<typeof PNG> {
  return (await import('pngjs')).PNG
}

async function readPng(file: string): Promise<PNG> {
  const Png = await pngjs()
  try {
    return Png.sync.read(await readFile(file), { skipRescale: true })
  } catch (err) {
    throw RenderError.BAD_FRAME(file, `does not decode as PNG (${(err as Error).message})`)
  }
}

/** A decoded PNG's samples as bytes: pngjs gives RGBA, 8 or (with skipRescale) 16 bits a sample. */
function bytesOf(png: PNG): { bytes: Buffer; bpp: number } {
  const data = png.data as Uint8Array | Uint16Array
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return { bytes, bpp: bytes.length / (png.width * png.height) }
}

/** `data` holds RGBA samples of `bpp` bytes a pixel (4: 8 bits a sample, 8: 16 bits as pngjs reads them). */
async function writePng(file: string, width: number, height: number, data: Buffer, bpp: number) {
  const Png = await pngjs()
  const png = new Png({ width, height })
  png.data = data
  await writeFile(file, Png.sync.write(png, { colorType: 6, bitDepth: bpp === 8 ? 16 : 8 }))
}

/**
 * Cuts `region` out of a whole-size image a renderer wrote with only that region rendered
 * (Blender's border without crop, POV-Ray's +SC/+EC/+SR/+ER): the pixels are those of a whole
 * frame, where cropping in the renderer would not keep them (Blender dithers by position in the
 * image it saves).
 */
export async function cropToRegion(file: string, region: Region, out: string): Promise<void> {
  const png = await readPng(file)
  if (region.x + region.width > png.width || region.y + region.height > png.height)
    throw RenderError.BAD_FRAME(file, `is ${png.width}x${png.height}, too small for its tile`)
  const { bytes, bpp } = bytesOf(png)
  const data = Buffer.alloc(region.width * region.height * bpp)
  for (let row = 0; row < region.height; row++) {
    const from = ((region.y + row) * png.width + region.x) * bpp
    bytes.copy(data, row * region.width * bpp, from, from + region.width * bpp)
  }
  await writePng(out, region.width, region.height, data, bpp)
}

/** Puts each tile's image at its region of a `size` image and writes it as `out`. */
export async function assembleTiles(
  tiles: readonly { file: string; region: Region }[],
  size: Size,
  out: string,
): Promise<void> {
  let data: Buffer | undefined
  let bpp = 0
  for (const { file, region } of tiles) {
    const png = await readPng(file)
    if (png.width !== region.width || png.height !== region.height)
      throw RenderError.BAD_FRAME(
        file,
        `is ${png.width}x${png.height}, not its tile's ${region.width}x${region.height}`,
      )
    const { bytes, bpp: depth } = bytesOf(png)
    if (data === undefined) {
      bpp = depth
      data = Buffer.alloc(size.width * size.height * bpp)
    } else if (depth !== bpp) throw RenderError.BAD_FRAME(file, 'has another bit depth than the other tiles')
    for (let row = 0; row < region.height; row++) {
      const to = ((region.y + row) * size.width + region.x) * bpp
      bytes.copy(data, to, row * region.width * bpp, (row + 1) * region.width * bpp)
    }
  }
  if (data === undefined) throw RenderError.NO_FRAMES('stitch')
  await writePng(out, size.width, size.height, data, bpp)
}
