import { parentPort } from 'node:worker_threads'
import { PNG } from 'pngjs'
import { pixelHash } from './pixels.ts'

/**
 * Decodes PNGs off the main thread, one message at a time (pixels.ts keeps a few of these
 * threads while frames come): a slow or large frame stalls this thread, not the node's event
 * loop. Each image's header was checked against the job's size before.
 */
parentPort!.on('message', (bytes: Uint8Array) => {
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
})
