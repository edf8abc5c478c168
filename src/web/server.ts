import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebError } from './errors.ts'
import type { JobSource } from './jobs.ts'
import { dayDetail, isDayName, listDays } from './library.ts'
import { dayPage, daysPage, jobsPage, notFoundPage, STYLE } from './pages.ts'
import { sendManifest } from './public-manifest.ts'
import { fileInside } from './safe-path.ts'
import { sendFile } from './send-file.ts'

export interface ViewerInit {
  /** The capture directory `farm capture` writes. */
  dir: string
  host?: string
  port?: number
  /** Path prefix the reverse proxy forwards, e.g. `/timelapse`; '' or '/' for none. */
  basePath?: string
  /** The farm's render jobs; the jobs page is left out when undefined. */
  jobs?: JobSource
  /** One line per request that failed on the server's side. */
  log?: (message: string) => void
}

export interface Viewer {
  /** Where to point a browser, base path included, ending in '/'. */
  readonly url: string
  close(): Promise<void>
}

// The capture layout's three served folders; nothing else under --dir is reachable.
const SERVED = new Set(['frames', 'thumbs', 'timelapse'])

export function normaliseBasePath(text: string): string {
  const trimmed = text.trim().replace(/\/+$/, '')
  if (trimmed === '') return ''
  const path = trimmed.startsWith('/') ? trimmed : `/${trimmed}`
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path) || path.split('/').some((s) => s === '.' || s === '..')) {
    throw WebError.BAD_BASE_PATH(text)
  }
  return path
}

export async function startViewer(init: ViewerInit): Promise<Viewer> {
  const info = await stat(init.dir).catch(() => undefined)
  if (!info?.isDirectory()) throw WebError.NOT_A_DIRECTORY(init.dir)
  const basePath = normaliseBasePath(init.basePath ?? '')
  const host = init.host ?? '127.0.0.1'
  const handler = requestHandler({ ...init, basePath })
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      init.log?.(`${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`)
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('Internal error: see the farm serve log.\n')
    })
  })
  await listen(server, host, init.port ?? 8080)
  const { port } = server.address() as AddressInfo
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}${basePath}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? WebError.PORT_IN_USE(host, port) : err)
    })
    server.listen(port, host, () => resolve())
  })
}

function requestHandler(init: ViewerInit & { basePath: string }) {
  const html = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' })
    res.end(body)
  }
  const notFound = (res: ServerResponse, depth: number) => html(res, 404, notFoundPage('../'.repeat(depth)))
  const withJobs = { jobs: init.jobs !== undefined }

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' })
      res.end()
      return
    }
    const pathname = (req.url ?? '/').split('?')[0]!
    if (pathname === init.basePath) {
      res.writeHead(301, { Location: `${init.basePath}/` })
      res.end()
      return
    }
    if (!pathname.startsWith(`${init.basePath}/`)) return notFound(res, 0)
    const segments = pathname.slice(init.basePath.length + 1).split('/')
    const depth = segments.length - 1
    const [first, ...rest] = segments

    if (segments.length === 1 && first === '')
      return html(res, 200, daysPage(await listDays(init.dir), withJobs))
    if (segments.length === 1 && first === 'style.css') {
      res.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8' })
      res.end(STYLE)
      return
    }
    if (first === 'day' && rest.length === 1 && isDayName(rest[0]!)) {
      const detail = await dayDetail(init.dir, rest[0]!)
      if (detail === undefined) return notFound(res, depth)
      return html(res, 200, dayPage(detail.summary, detail.frames, withJobs))
    }
    if (first === 'files' && rest.length >= 2 && SERVED.has(rest[0]!)) {
      const file = await fileInside(init.dir, rest)
      if (file === undefined) return notFound(res, depth)
      // Decoded and resolved by fileInside: `manifest%2Ejson` is caught too.
      if (file.endsWith('/manifest.json')) return sendManifest(req, res, file)
      return sendFile(req, res, file)
    }
    if (init.jobs !== undefined && segments.length === 1 && first === 'jobs') {
      const jobs = await init.jobs
        .list()
        .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }))
      return html(res, 200, jobsPage(jobs))
    }
    if (init.jobs !== undefined && first === 'job-video' && rest.length === 1 && rest[0]!.endsWith('.mp4')) {
      const video = await Promise.resolve()
        .then(() => init.jobs!.video(decodeURIComponent(rest[0]!.slice(0, -4))))
        .catch(() => undefined)
      if (video === undefined) return notFound(res, depth)
      return sendFile(req, res, video, 'video/mp4')
    }
    return notFound(res, depth)
  }
}
