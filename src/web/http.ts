import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * Pages load only the viewer's own script, style, pictures, videos and event stream: a file
 * name or manifest value that slipped through escaping still could not run a script.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "media-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** On every response, files included: a browser must never guess a JPEG or a manifest is HTML. */
export function setSafetyHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
}

export function etagOf(body: string | Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
}

function matchesEtag(header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  const strip = (tag: string) => tag.trim().replace(/^W\//, '')
  return header.split(',').some((tag) => strip(tag) === strip(etag))
}

/**
 * Whether the browser's copy is current (answer 304). If-None-Match, when sent, decides alone
 * (RFC 9110 13.2.2); If-Modified-Since compares whole seconds, as HTTP dates have no more.
 */
export function isFresh(req: IncomingMessage, etag: string, lastModified?: Date): boolean {
  const noneMatch = req.headers['if-none-match']
  if (noneMatch !== undefined) return matchesEtag(noneMatch, etag)
  const since = req.headers['if-modified-since']
  if (since === undefined || lastModified === undefined) return false
  const sinceMs = Date.parse(since)
  return !Number.isNaN(sinceMs) && Math.floor(lastModified.getTime() / 1000) * 1000 <= sinceMs
}

/** If-Range: a range is honoured only while the browser's partial copy is of the current file. */
export function rangeStillValid(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  const ifRange = req.headers['if-range']
  if (ifRange === undefined) return true
  if (typeof ifRange !== 'string') return false
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag
  return Date.parse(ifRange) === Math.floor(lastModified.getTime() / 1000) * 1000
}

/** A generated text body (a page, the style, the script) with an ETag, or 304 when the browser has it. */
export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
): void {
  const etag = etagOf(body)
  // Pages change with every capture: the browser asks each time, and mostly hears "unchanged".
  res.setHeader('Cache-Control', 'no-cache')
  res.setHeader('ETag', etag)
  if (status === 200 && isFresh(req, etag)) {
    res.writeHead(304)
    res.end()
    return
  }
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) })
  res.end(req.method === 'HEAD' ? undefined : body)
}
