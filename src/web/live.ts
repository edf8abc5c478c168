import type { IncomingMessage, ServerResponse } from 'node:http'
import { type LatestFrame, latestFrame } from './library.ts'

/** A proxy may close a stream that says nothing for a minute; a comment line keeps it open. */
const KEEPALIVE_MS = 15_000

function keyOf(latest: LatestFrame | undefined): string {
  return latest === undefined ? '' : `${latest.day}/${latest.file}/${latest.timelapseStamp ?? ''}`
}

/**
 * Notices a new frame (or a rewritten timelapse) in the capture directory, which another
 * process (`farm capture`) writes: it looks every `pollMs` while at least one page listens,
 * and not at all otherwise. Looking is a directory listing and two stats.
 */
export class LatestWatcher {
  readonly #dir: string
  readonly #pollMs: number
  readonly #listeners = new Set<(latest: LatestFrame) => void>()
  #timer: NodeJS.Timeout | undefined
  #key = ''
  #polling = false

  constructor(dir: string, pollMs: number) {
    this.#dir = dir
    this.#pollMs = pollMs
  }

  subscribe(listener: (latest: LatestFrame) => void): () => void {
    this.#listeners.add(listener)
    this.#timer ??= setInterval(() => void this.#poll(), this.#pollMs)
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.stop()
    }
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  async #poll(): Promise<void> {
    if (this.#polling) return
    this.#polling = true
    try {
      const latest = await latestFrame(this.#dir)
      const key = keyOf(latest)
      if (latest === undefined || key === this.#key) return
      this.#key = key
      for (const listener of this.#listeners) listener(latest)
    } finally {
      this.#polling = false
    }
  }
}

function event(latest: LatestFrame): string {
  return `id: ${keyOf(latest)}\nevent: frame\ndata: ${JSON.stringify(latest)}\n\n`
}

/** The "now" page's server-sent events: the latest frame at once, then each new one. */
export async function streamLatest(
  req: IncomingMessage,
  res: ServerResponse,
  dir: string,
  watcher: LatestWatcher,
): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    // nginx buffers proxied responses unless told not to, which would hold every event back.
    'X-Accel-Buffering': 'no',
  })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  res.write('retry: 3000\n\n')
  const current = await latestFrame(dir)
  let sent = keyOf(current)
  if (current !== undefined) res.write(event(current))
  const unsubscribe = watcher.subscribe((latest) => {
    const key = keyOf(latest)
    if (key === sent) return
    sent = key
    res.write(event(latest))
  })
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS)
  res.once('close', () => {
    clearInterval(keepalive)
    unsubscribe()
  })
}
