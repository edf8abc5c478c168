import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sendDayZip } from './download.ts'
import { WebError } from './errors.ts'
import { sendText, setSafetyHeaders } from './http.ts'
import type { JobSource } from './jobs.ts'
import { dayDetail, dayNames, isDayName, isMonthName, latestFrame, monthDays } from './library.ts'
import { LatestWatcher, streamLatest } from './live.ts'
import { calendarPage, emptyPage, monthsOf } from './pages/calendar.ts'
import { CLIENT_SCRIPT } from './pages/client.ts'
import { dayPage } from './pages/day.ts'
import { errorPage, notFoundPage } from './pages/layout.ts'
import { nowPage } from './pages/now.ts'
import { sameTimePage } from './pages/same-time.ts'
import { ICON, STYLE } from './pages/style.ts'
import { sendManifest } from './public-manifest.ts'
import { fileInside } from './safe-path.ts'
import type { SameTimeSource } from './same-time.ts'
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
  /** Builds "same time every day" videos; the page only explains the CLI when undefined. */
  sameTime?: SameTimeSource
  /** How often the "now" page's event stream looks for a new frame, while a page listens. */
  pollMs?: number
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
const DEFAULT_POLL_MS = 1000
const DEFAULT_AT = '12:00'

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
  const watcher = new LatestWatcher(init.dir, init.pollMs ?? DEFAULT_POLL_MS)
  const handler = requestHandler({ ...init, basePath }, watcher)
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
        watcher.stop()
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

/** A builder's complaint about the span or the time the visitor chose (exitCode 2), as opposed to a fault. */
function badChoice(err: unknown): err is Error {
  return err instanceof Error && (err as { exitCode?: unknown }).exitCode === 2
}

function requestHandler(init: ViewerInit & { basePath: string }, watcher: LatestWatcher) {
  const jobs = init.jobs !== undefined
  const withJobs = { jobs }
  const html = (req: IncomingMessage, res: ServerResponse, status: number, body: string) =>
    sendText(req, res, status, 'text/html; charset=utf-8', body)
  const notFound = (req: IncomingMessage, res: ServerResponse, depth: number) =>
    html(req, res, 404, notFoundPage('../'.repeat(depth), jobs))

  const calendar = async (req: IncomingMessage, res: ServerResponse, month: string | undefined) => {
    const days = await dayNames(init.dir)
    const months = monthsOf(days)
    const shown = month ?? [...months.keys()].at(-1)
    if (shown === undefined) return html(req, res, 200, emptyPage(jobs))
    const summaries = await monthDays(init.dir, shown, days)
    return html(
      req,
      res,
      200,
      calendarPage({ month: shown, summaries, months, prefix: month ? '../' : '', jobs }),
    )
  }

  const sameTime = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const months = monthsOf(await dayNames(init.dir))
    const span = query.get('span') ?? [...months.keys()].at(-1) ?? ''
    const at = query.get('at') ?? DEFAULT_AT
    const view = { months, span, at, available: init.sameTime !== undefined }
    if (init.sameTime === undefined || !query.has('span'))
      return html(req, res, 200, sameTimePage(view, withJobs))
    try {
      const result = await init.sameTime.build(span, at)
      return html(req, res, 200, sameTimePage({ ...view, result }, withJobs))
    } catch (err) {
      if (!badChoice(err)) throw err
      return html(req, res, 400, sameTimePage({ ...view, result: { error: err.message } }, withJobs))
    }
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSafetyHeaders(res)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' })
      res.end()
      return
    }
    const [pathname = '/', search = ''] = (req.url ?? '/').split('?', 2)
    const query = new URLSearchParams(search)
    if (pathname === init.basePath) {
      res.writeHead(301, { Location: `${init.basePath}/` })
      res.end()
      return
    }
    if (!pathname.startsWith(`${init.basePath}/`)) return notFound(req, res, 0)
    const segments = pathname.slice(init.basePath.length + 1).split('/')
    const depth = segments.length - 1
    const [first, ...rest] = segments
    const only = rest.length === 0
    const one = rest.length === 1 ? rest[0]! : undefined

    if (only && first === '') return calendar(req, res, undefined)
    if (only && first === 'style.css') return sendText(req, res, 200, 'text/css; charset=utf-8', STYLE)
    if (only && first === 'favicon.svg') return sendText(req, res, 200, 'image/svg+xml', ICON)
    if (only && first === 'app.js')
      return sendText(req, res, 200, 'text/javascript; charset=utf-8', CLIENT_SCRIPT)
    if (first === 'month' && one !== undefined && isMonthName(one)) return calendar(req, res, one)
    if (first === 'day' && one !== undefined && isDayName(one)) {
      const detail = await dayDetail(init.dir, one)
      if (detail === undefined) return notFound(req, res, depth)
      return html(req, res, 200, dayPage(detail, withJobs))
    }
    if (only && first === 'now') return html(req, res, 200, nowPage(await latestFrame(init.dir), withJobs))
    if (only && first === 'events') return streamLatest(req, res, init.dir, watcher)
    if (only && first === 'same-time') return sameTime(req, res, query)
    if (only && first === 'same-time.mp4' && init.sameTime !== undefined) {
      const video = await init.sameTime
        .build(query.get('span') ?? '', query.get('at') ?? DEFAULT_AT)
        .catch((err: unknown) => {
          if (badChoice(err)) return undefined
          throw err
        })
      if (video === undefined)
        return html(req, res, 400, errorPage('', jobs, 'Pick the days and the time on the same-time page.'))
      return sendFile(req, res, video.path, 'video/mp4')
    }
    if (first === 'download' && one?.endsWith('.zip') && isDayName(one.slice(0, -4))) {
      if (await sendDayZip(req, res, init.dir, one.slice(0, -4))) return
      return notFound(req, res, depth)
    }
    if (first === 'files' && rest.length >= 2 && SERVED.has(rest[0]!)) {
      const file = await fileInside(init.dir, rest)
      if (file === undefined) return notFound(req, res, depth)
      // Decoded and resolved by fileInside: `manifest%2Ejson` is caught too.
      if (file.endsWith('/manifest.json')) return sendManifest(req, res, file)
      return sendFile(req, res, file)
    }
    if (jobs && only && first === 'jobs') {
      const list = await init
        .jobs!.list()
        .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }))
      // Loaded on first use: the page shortens job ids the ledger's way, and the ledger brings
      // LevelDB and libp2p's key code, which a capture viewer without --home never needs.
      const { jobsPage } = await import('./pages/jobs.ts')
      return html(req, res, 200, jobsPage(list))
    }
    if (jobs && first === 'job-video' && one?.endsWith('.mp4')) {
      const video = await Promise.resolve()
        .then(() => init.jobs!.video(decodeURIComponent(one.slice(0, -4))))
        .catch(() => undefined)
      if (video === undefined) return notFound(req, res, depth)
      return sendFile(req, res, video, 'video/mp4')
    }
    return notFound(req, res, depth)
  }
}
