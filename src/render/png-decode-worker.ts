import { parentPort, workerData } from 'node:worker_threads'
import { PNG } from 'pngjs'
import { pixelHash } from './pixels.ts'

/**
 * Decodes one PNG off the main thread (pixels.ts starts it): a slow or large frame stalls this
 * thread, not the node's event loop. Its header was checked against the job's size before.
 */
const bytes = workerData as Uint8Array
try {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    skipRescale: true,
  })
  const depth = png.data.length === png.width * png.height * 8 ? 16 : 8
  const data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength)
  parentPort!.postMessage({
    ok: true,
    pixelHash: pixelHash(png.width, png.height, depth, data),
    width: png.width,
    height: png.height,
  })
} catch (err) {
  parentPort!.postMessage({ ok: false, error: (err as Error).message })
}
