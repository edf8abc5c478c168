import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { CaptureError } from './errors.ts'

/**
 * A running capture's events for `farm events --follow --dir DIR`, on `<dir>/capture.sock`: the
 * line protocol of a node's control socket (`{"id":1,"method":"subscribe"}` answered
 * `{"id":1,"result":"subscribed"}`, then one `{"event":...}` line per event), so one client
 * reads both (src/farm's subscribeSocket). A capture has no node (without --share it loads no libp2p), so it gets this small
 * socket of its own; it also keeps a second `farm capture` off the same directory.
 */
export function captureSocketPath(dir: string): string {
  return join(dir, 'capture.sock')
}

/** Longest path a Unix socket can bind on Linux (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107

/** Output a subscriber has not read yet, past which it is cut off rather than held in memory. */
const MAX_BACKLOG = 1024 * 1024

export class CaptureSocket {
  readonly path: string
  readonly #subscribers = new Set<Socket>()
  readonly #sockets = new Set<Socket>()
  #server: Server | undefined

  constructor(dir: string) {
    this.path = captureSocketPath(dir)
  }

  /**
   * Listens; throws CAPTURE_RUNNING when another capture answers there. Returns why it cannot
   * listen when the directory cannot hold a socket (too long a path, a FAT card): the capture
   * runs anyway, without `farm events --follow`.
   */
  async listen(dir: string): Promise<string | undefined> {
    if (Buffer.byteLength(this.path) > MAX_SOCKET_PATH)
      return `${this.path} is longer than a socket path may be`
    if (existsSync(this.path)) {
      if (await socketAnswers(this.path)) throw CaptureError.CAPTURE_RUNNING(dir)
      // A capture that was killed leaves its socket file behind; nothing listens on it.
      await rm(this.path, { force: true })
    }
    const server = createServer((socket) => this.#serve(socket))
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.path, () => resolve())
      })
    } catch (err) {
      return `cannot listen on ${this.path}: ${(err as Error).message}`
    }
    this.#server = server
    return undefined
  }

  publish(event: unknown): void {
    const line = `${JSON.stringify({ event })}\n`
    for (const socket of this.#subscribers) {
      if (socket.writableLength > MAX_BACKLOG) socket.destroy()
      else socket.write(line)
    }
  }

  async close(): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await rm(this.path, { force: true })
    this.#server = undefined
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket)
    socket.on('close', () => {
      this.#sockets.delete(socket)
      this.#subscribers.delete(socket)
    })
    socket.on('error', () => socket.destroy())
    const lines = createInterface({ input: socket })
    lines.on('line', (line) => {
      let request: { id?: unknown; method?: unknown }
      try {
        request = JSON.parse(line)
      } catch {
        socket.write(
          `${JSON.stringify({ id: null, error: { code: 'BAD_REQUEST', message: 'not JSON', exitCode: 2 } })}\n`,
        )
        return
      }
      if (request.method === 'subscribe') {
        this.#subscribers.add(socket)
        socket.write(`${JSON.stringify({ id: request.id, result: 'subscribed' })}\n`)
      } else {
        const message = `a capture answers only 'subscribe', not '${String(request.method)}'`
        socket.write(
          `${JSON.stringify({ id: request.id, error: { code: 'UNKNOWN_METHOD', message, exitCode: 2 } })}\n`,
        )
      }
    })
  }
}

/** Whether something listens on the Unix socket at `path` (a file left by a killed process does not). */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
