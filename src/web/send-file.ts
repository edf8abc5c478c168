import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseRange } from './range.ts'

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.json': 'application/json',
}

/** Sends a file with range support, so a browser can seek in a video without loading all of it. */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  /** For files named by their hash (blobs), which have no extension to tell it. */
  type?: string,
): Promise<void> {
  const info = await stat(path)
  const range = parseRange(req.headers.range, info.size)
  res.setHeader('Content-Type', type ?? TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream')
  res.setHeader('Accept-Ranges', 'bytes')
  res.setHeader('Last-Modified', info.mtime.toUTCString())
  // Today's timelapse is replaced after every capture: let browsers revalidate rather than cache.
  res.setHeader('Cache-Control', 'no-cache')
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
