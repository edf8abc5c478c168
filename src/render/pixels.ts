import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { PNG } from 'pngjs'
import { RenderError } from './errors.ts'
import type { Size } from './frames.ts'

export interface FrameCheck {
  /** sha256 hex of the decoded pixels with their width, height and sample depth. */
  pixelHash: string
  width: number
  height: number
}

/**
 * Hash of what a frame looks like, not of its file: PNG files carry timestamps and render-time
 * text chunks that differ run to run while the pixels of the same renderer version do not.
 * The header binds the hash to the geometry and depth, so the same bytes at another shape or
 * depth never collide.
 */
export function pixelHash(width: number, height: number, depth: number, rgba: Uint8Array): string {
  return createHash('sha256')
    .update(`farm-pixels-v1 rgba${depth} ${width}x${height}\n`)
    .update(rgba)
    .digest('hex')
}

/** Checks that a frame image exists, decodes as PNG and (when given) has the asked size. */
export async function checkFrame(file: string, size?: Size): Promise<FrameCheck> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw RenderError.BAD_FRAME(file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`)
  }
  const Png = await pngjs()
  let png: PNG
  try {
    png = Png.sync.read(bytes, { skipRescale: true })
  } catch (err) {
    throw RenderError.BAD_FRAME(file, `does not decode as PNG (${(err as Error).message})`)
  }
  if (size && (png.width !== size.width || png.height !== size.height)) {
    throw RenderError.BAD_FRAME(
      file,
      `is ${png.width}x${png.height}, not the asked ${size.width}x${size.height}`,
    )
  }
  const depth = png.data.length === png.width * png.height * 8 ? 16 : 8
  const data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength)
  return { pixelHash: pixelHash(png.width, png.height, depth, data), width: png.width, height: png.height }
}

/**
 * How alike two images of a frame look: the PSNR in dB over their RGB samples (alpha is left
 * out: POV-Ray and Blender write it opaque). Infinity for identical pixels; two frames of
 * different size are not alike at all (0). Renders of one scene that differ only by a renderer's
 * own noise (area-light jitter, a thread count in Cycles) stay far above a frame with an object
 * moved: the thresholds are measured, see the README ("Credits, prices and verification").
 */
export async function framePsnr(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all([decode(a), decode(b)])
  if (x.width !== y.width || x.height !== y.height) return 0
  const max = x.depth === 16 ? 65535 : 255
  let sum = 0
  let samples = 0
  const step = x.depth === 16 ? 2 : 1
  for (let p = 0; p < x.width * x.height; p++) {
    for (let c = 0; c < 3; c++) {
      const i = (p * 4 + c) * step
      const d = step === 2 ? x.data.readUInt16BE(i) - y.data.readUInt16BE(i) : x.data[i]! - y.data[i]!
      sum += d * d
      samples += 1
    }
  }
  if (sum === 0) return Number.POSITIVE_INFINITY
  return 10 * Math.log10((max * max) / (sum / samples))
}

/**
 * pngjs, loaded once on first use (only a node that verifies or resumes frames decodes them).
 * One shared promise: two concurrent `import()`s of a CommonJS module that is still loading can
 * see its namespace without the named export (seen as "Cannot read properties of undefined
 * (reading 'sync')" when a restarted node checked frames while its stitcher verified).
 */
let loading: Promise<typeof PNG> | undefined
function pngjs(): Promise<typeof PNG> {
  loading ??= import('pngjs').then((mod) => {
    const m = mod as unknown as { PNG?: typeof PNG; default?: { PNG?: typeof PNG } }
    const Png = m.PNG ?? m.default?.PNG
    if (!Png) throw new Error('pngjs has no PNG export')
    return Png
  })
  return loading
}

async function decode(file: string): Promise<{ width: number; height: number; depth: 8 | 16; data: Buffer }> {
  const Png = await pngjs()
  let png: PNG
  try {
    png = Png.sync.read(await readFile(file), { skipRescale: true })
  } catch (err) {
    throw RenderError.BAD_FRAME(file, `does not decode as PNG (${(err as Error).message})`)
  }
  const depth = png.data.length === png.width * png.height * 8 ? 16 : 8
  return { width: png.width, height: png.height, depth, data: png.data }
}
