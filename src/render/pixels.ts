import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
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

function decodeOffThread(bytes: Buffer): Promise<FrameCheck | { error: string }> {
  return new Promise((resolve) => {
    const copy = new Uint8Array(bytes.byteLength)
    copy.set(bytes)
    const worker = new Worker(WORKER, { workerData: copy, transferList: [copy.buffer] })
    worker.once('message', (message: ({ ok: true } & FrameCheck) | { ok: false; error: string }) => {
      resolve(
        message.ok
          ? { pixelHash: message.pixelHash, width: message.width, height: message.height }
          : { error: message.error },
      )
      void worker.terminate()
    })
    worker.once('error', (err) => resolve({ error: err.message }))
    worker.once('exit', (code) => resolve({ error: `the decoder stopped (exit ${code})` }))
  })
}
