import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { FarmError } from '../errors.ts'

/**
 * The running node's control socket, `<home>/farm.sock`: newline-delimited JSON,
 * `{id, method, params}` -> `{id, result}` or `{id, error: {code, message, exitCode}}`.
 * `subscribe` answers `{id, result: 'subscribed'}` and then streams `{event}` lines.
 */
export type ControlMethod = (params: Record<string, unknown>) => Promise<unknown>

export function socketPath(home: string): string {
  return join(home, 'farm.sock')
}

export class ControlServer {
  readonly path: string
  private readonly methods = new Map<string, ControlMethod>()
  private readonly subscribers = new Set<Socket>()
  private readonly sockets = new Set<Socket>()
  private server: Server | undefined

  constructor(home: string) {
    this.path = socketPath(home)
  }

  handle(method: string, fn: ControlMethod): void {
    this.methods.set(method, fn)
  }

  /** Sends an event to every `subscribe`r. */
  publish(event: unknown): void {
    const line = `${JSON.stringify({ event })}\n`
    for (const socket of this.subscribers) socket.write(line)
  }

  async listen(home: string): Promise<void> {
    if (existsSync(this.path)) {
      if (await isAlive(this.path)) throw FarmError.NODE_RUNNING(home)
      // A node that was killed leaves its socket file behind; nothing listens on it.
      await rm(this.path, { force: true })
    }
    const server = createServer((socket) => this.serve(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.path, () => resolve())
    })
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    await rm(this.path, { force: true })
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => {
      this.sockets.delete(socket)
      this.subscribers.delete(socket)
    })
    socket.on('error', () => socket.destroy())
    const lines = createInterface({ input: socket })
    lines.on('line', (line) => void this.answer(socket, line))
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    let request: { id?: unknown; method?: unknown; params?: unknown }
    try {
      request = JSON.parse(line)
    } catch {
      socket.write(
        `${JSON.stringify({ id: null, error: { code: 'BAD_REQUEST', message: 'not JSON', exitCode: 2 } })}\n`,
      )
      return
    }
    const { id } = request
    try {
      if (request.method === 'subscribe') {
        this.subscribers.add(socket)
        socket.write(`${JSON.stringify({ id, result: 'subscribed' })}\n`)
        return
      }
      const method = this.methods.get(String(request.method))
      if (method === undefined) throw FarmError.UNKNOWN_METHOD(String(request.method))
      const params = (request.params ?? {}) as Record<string, unknown>
      socket.write(`${JSON.stringify({ id, result: (await method(params)) ?? null })}\n`)
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown; exitCode?: unknown }
      const error = {
        code: typeof e.code === 'string' ? e.code : 'FAILED',
        message: typeof e.message === 'string' ? e.message : String(err),
        exitCode: typeof e.exitCode === 'number' ? e.exitCode : 1,
      }
      socket.write(`${JSON.stringify({ id, error })}\n`)
    }
  }
}

function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function open(home: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath(home))
    socket.once('connect', () => resolve(socket))
    socket.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        ['ENOENT', 'ECONNREFUSED', 'ENOTSOCK'].includes(err.code ?? '')
          ? FarmError.NODE_NOT_RUNNING(home)
          : err,
      )
    })
  })
}

/** Calls one method on the node running in `home`; throws FarmError (with the node's code) on failure. */
export async function callNode<T = unknown>(
  home: string,
  method: string,
  params: Record<string, unknown> = {},
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  const socket = await open(home)
  let timer: NodeJS.Timeout | undefined
  try {
    const lines = createInterface({ input: socket })
    socket.write(`${JSON.stringify({ id: 1, method, params })}\n`)
    let timedOut = false
    timer = setTimeout(() => {
      timedOut = true
      socket.destroy()
    }, opts.timeoutMs ?? 30_000)
    for await (const line of lines) {
      const reply = JSON.parse(line) as {
        id: unknown
        result?: T
        error?: { code: string; message: string; exitCode: number }
      }
      if (reply.id !== 1) continue
      if (reply.error) throw new FarmError(reply.error.code, reply.error.message, reply.error.exitCode)
      return reply.result as T
    }
    if (timedOut)
      throw new FarmError(
        'NODE_TIMEOUT',
        `the node in ${home} did not answer '${method}' in time: is it stuck?`,
      )
    throw new FarmError(
      'NODE_GONE',
      `the node in ${home} closed the control socket before answering '${method}'`,
    )
  } finally {
    // A pending timer would keep a failed command alive for the whole timeout.
    clearTimeout(timer)
    socket.destroy()
  }
}

/** Streams the events of the node running in `home` until the returned iterator is closed. */
export async function* subscribeNode(home: string): AsyncGenerator<unknown> {
  const socket = await open(home)
  try {
    const lines = createInterface({ input: socket })
    socket.write(`${JSON.stringify({ id: 1, method: 'subscribe' })}\n`)
    for await (const line of lines) {
      const message = JSON.parse(line) as { event?: unknown }
      if ('event' in message) yield message.event
    }
  } finally {
    socket.destroy()
  }
}
