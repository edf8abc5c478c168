import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { isFresh, rangeStillValid } from './http.ts'
import { parseRange } from './range.ts'

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.json': 'application/json',
}

/**
 * Sends a file with range support, so a browser can seek in a video without loading all of it,
 * and answers 304 while the browser's copy is current. Every file `farm capture` writes is
 * renamed into place whole, so size and modification time name a version.
 */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  /** For files named by their hash (blobs), which have no extension to tell it. */
  type?: string,
): Promise<void> {
  const info = await stat(path)
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`
  res.setHeader('ETag', etag)
  res.setHeader('Last-Modified', info.mtime.toUTCString())
  // Today's timelapse is replaced after every capture: let browsers revalidate rather than cache.
  res.setHeader('Cache-Control', 'no-cache')
  if (isFresh(req, etag, info.mtime)) {
    res.writeHead(304)
    res.end()
    return
  }
  const range = rangeStillValid(req, etag, info.mtime) ? parseRange(req.headers.range, info.size) : undefined
  res.setHeader('Content-Type', type ?? TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream')
  res.setHeader('Accept-Ranges', 'bytes')
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${info.size}` })
    res.end()
    return
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 }
  if (range === undefined) {
    res.writeHead(200, { 'Content-Length': info.size })
  } else {
    res.writeHead(206, {
      'Content-Length': end - start + 1,
      'Content-Range': `bytes ${start}-${end}/${info.size}`,
    })
  }
  if (req.method === 'HEAD' || info.size === 0) {
    res.end()
    return
  }
  await pipeline(createReadStream(path, { start, end }), res).catch(() => {
    // The browser cancelled (seeking does this all the time): nothing to report.
  })
}
