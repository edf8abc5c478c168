import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { PNG } from 'pngjs'
import { RenderError } from './errors.ts'
import type { Size } from './frames.ts'
import { PNG_HEADER_BYTES, type PngHeader, parsePngHeader } from './png-header.ts'

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

/** The most pixels a frame may declare: the largest size a job may ask (16384x16384). */
export const MAX_FRAME_PIXELS = 16384 * 16384

/** Room for chunks other than image data (text, ICC profiles) over the largest stored (uncompressed) IDAT. */
const ANCILLARY_BYTES = 4 * 1024 * 1024

/**
 * Checks that a frame image exists, decodes as PNG and (when given) has the asked size. The
 * header is read first: a frame that declares another size, more pixels than any job may have,
 * or more bytes than its pixels need, is refused without decoding; the decoding itself runs on a
 * worker thread, so a hostile frame neither stalls the node nor grows it beyond its pixels.
 */
export async function checkFrame(file: string, size?: Size): Promise<FrameCheck> {
  let bytes: Buffer
  try {
    const handle = await open(file)
    try {
      const head = Buffer.alloc(PNG_HEADER_BYTES)
      await handle.read(head, 0, PNG_HEADER_BYTES, 0)
      const header = parsePngHeader(head)
      if (typeof header === 'string') throw RenderError.BAD_FRAME(file, header)
      assertGeometry(file, header, size)
      const { size: fileBytes } = await handle.stat()
      const most = rawBytes(header) * 1.01 + ANCILLARY_BYTES
      if (fileBytes > most)
        throw RenderError.BAD_FRAME(
          file,
          `is ${fileBytes} bytes, more than a ${header.width}x${header.height} image needs`,
        )
      bytes = await handle.readFile()
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (err instanceof RenderError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw RenderError.BAD_FRAME(file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`)
  }
  const decoded = await decodeOffThread(bytes)
  if ('error' in decoded) throw RenderError.BAD_FRAME(file, `does not decode as PNG (${decoded.error})`)
  return decoded
}

function assertGeometry(file: string, header: PngHeader, size: Size | undefined): void {
  if (size && (header.width !== size.width || header.height !== size.height)) {
    throw RenderError.BAD_FRAME(
      file,
      `is ${header.width}x${header.height}, not the asked ${size.width}x${size.height}`,
    )
  }
  if (header.width * header.height > MAX_FRAME_PIXELS)
    throw RenderError.BAD_FRAME(
      file,
      `declares ${header.width}x${header.height} pixels, more than any frame may have`,
    )
  // pngjs inflates an interlaced image without a bound; no renderer farm runs writes one.
  if (header.interlaced)
    throw RenderError.BAD_FRAME(file, 'is interlaced (Adam7): farm takes only plain PNG frames')
}

/** Bytes of a decoded image before filtering, as the header declares it: 16-bit RGBA at most. */
function rawBytes(header: PngHeader): number {
  return (header.width * 8 + 1) * header.height
}

const WORKER = new URL(
  `./png-decode-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`,
  import.meta.url,
)

type Decoded = FrameCheck | { error: string }
type DecodeMessage = ({ ok: true } & FrameCheck) | { ok: false; error: string }

/**
 * Decoder threads kept while frames come: starting one costs ~130 ms here (loading pngjs),
 * several times the decode of a small frame, and a node decodes each frame twice (its worker's
 * check, its stitcher's). At most one per core; one idle this long is stopped.
 */
const DECODERS = Math.max(1, Math.min(2, availableParallelism()))
const DECODER_IDLE_MS = 5_000

interface Decoder {
  worker: Worker
  /** Resolves the image it decodes now; undefined while idle. */
  done: ((decoded: Decoded) => void) | undefined
  idle: NodeJS.Timeout | undefined
}

const decoders: Decoder[] = []
const waiting: { bytes: Uint8Array; resolve: (decoded: Decoded) => void }[] = []

function decodeOffThread(bytes: Buffer): Promise<Decoded> {
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return new Promise((resolve) => {
    waiting.push({ bytes: copy, resolve })
    dispatch()
  })
}

/** Gives waiting images to idle decoders, starting one when all are busy and there is room. */
function dispatch(): void {
  while (waiting.length > 0) {
    let decoder = decoders.find((d) => d.done === undefined)
    if (!decoder) {
      if (decoders.length >= DECODERS) return
      decoder = startDecoder()
    }
    const task = waiting.shift()!
    if (decoder.idle) clearTimeout(decoder.idle)
    decoder.idle = undefined
    decoder.done = task.resolve
    decoder.worker.ref()
    decoder.worker.postMessage(task.bytes, [task.bytes.buffer as ArrayBuffer])
  }
}

function startDecoder(): Decoder {
  const decoder: Decoder = { worker: new Worker(WORKER), done: undefined, idle: undefined }
  const finish = (decoded: Decoded) => {
    const done = decoder.done
    decoder.done = undefined
    done?.(decoded)
  }
  decoder.worker.on('message', (message: DecodeMessage) => {
    finish(
      message.ok
        ? { pixelHash: message.pixelHash, width: message.width, height: message.height }
        : { error: message.error },
    )
    // Idle: it keeps no process alive, and stops after a while.
    decoder.worker.unref()
    decoder.idle = setTimeout(() => void decoder.worker.terminate(), DECODER_IDLE_MS)
    decoder.idle.unref()
    dispatch()
  })
  // A decoder that dies (out of memory on a hostile image) fails only the image it had.
  const gone = (why: string) => {
    const at = decoders.indexOf(decoder)
    if (at >= 0) decoders.splice(at, 1)
    if (decoder.idle) clearTimeout(decoder.idle)
    finish({ error: why })
    dispatch()
  }
  decoder.worker.on('error', (err) => gone(err.message))
  decoder.worker.on('exit', (code) => gone(`the decoder stopped (exit ${code})`))
  decoders.push(decoder)
  return decoder
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
