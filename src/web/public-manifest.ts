import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * A day's manifest as the viewer publishes it: everything but the text of its missed captures.
 * That text is an error message (a camera's answer, a command's stderr), and an error message
 * may carry what farm could not know to redact; the reason and the time say enough to a visitor.
 */
export function publicManifest(text: string): string {
  const manifest = JSON.parse(text) as { missed?: { time?: unknown; reason?: unknown }[] }
  if (Array.isArray(manifest.missed))
    manifest.missed = manifest.missed.map((m) => ({ time: m.time, reason: m.reason }))
  return `${JSON.stringify(manifest, null, 1)}\n`
}

export async function sendManifest(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const body = publicManifest(await readFile(path, 'utf8'))
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache',
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}
