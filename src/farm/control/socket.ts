import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { socketAnswers } from '../../capture/index.ts'
import { safeStrings } from '../../ledger/index.ts'
import { FarmError } from '../errors.ts'
import { CONTROL_API, type Handler, isMethodName, type MethodName } from './api.ts'

/**
 * The running node's control socket, `<home>/farm.sock`: newline-delimited JSON,
 * `{id, method, params}` -> `{id, result}` or `{id, error: {code, message, exitCode}}`.
 * `subscribe` answers `{id, result: 'subscribed'}` and then streams `{event}` lines.
 */
export function socketPath(home: string): string {
  return join(home, 'farm.sock')
}

export interface ControlError {
  code: string
  message: string
  exitCode: number
}

type Handlers = { [M in MethodName]?: Handler<M> }

export class ControlServer {
  readonly path: string
  private readonly handlers: Handlers = {}
  private readonly subscribers = new Set<Socket>()
  private readonly sockets = new Set<Socket>()
  private server: Server | undefined

  constructor(home: string) {
    this.path = socketPath(home)
  }

  handle<M extends MethodName>(method: M, fn: Handler<M>): void {
    ;(this.handlers as Record<M, Handler<M>>)[method] = fn
  }

  /** Sends an event to every `subscribe`r. */
  publish(event: unknown): void {
    // Names and messages in it may come from other nodes' entries (ledger text.ts).
    const line = `${JSON.stringify({ event: safeStrings(event) })}\n`
    for (const socket of this.subscribers) socket.write(line)
  }

  async listen(home: string): Promise<void> {
    if (existsSync(this.path)) {
      if (await socketAnswers(this.path)) throw FarmError.NODE_RUNNING(home)
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
        `${JSON.stringify({ id: null, error: errorOf(FarmError.BAD_REQUEST('it is not JSON')) })}\n`,
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
      const name = String(request.method)
      const handler = isMethodName(name) ? this.handlers[name] : undefined
      if (!isMethodName(name) || handler === undefined) throw FarmError.UNKNOWN_METHOD(name)
      const parsed = CONTROL_API[name].params.safeParse(request.params ?? {})
      if (!parsed.success)
        throw FarmError.BAD_REQUEST(
          `the parameters of '${name}' are wrong: ${parsed.error.issues[0]?.message}`,
        )
      const result = await (handler as (params: unknown) => Promise<unknown>)(parsed.data)
      // What the CLI prints: text from other nodes' entries cannot forge lines (ledger text.ts).
      const safe = safeStrings(result ?? null, { lines: name === 'logs' })
      socket.write(`${JSON.stringify({ id, result: safe })}\n`)
    } catch (err) {
      socket.write(`${JSON.stringify({ id, error: errorOf(err) })}\n`)
    }
  }
}

/** What crosses the socket of an error: a FarmError's code and exit code, or any error's message. */
function errorOf(err: unknown): ControlError {
  const e = err as { code?: unknown; message?: unknown; exitCode?: unknown }
  return {
    code: typeof e.code === 'string' ? e.code : 'FAILED',
    message: typeof e.message === 'string' ? e.message : String(err),
    exitCode: typeof e.exitCode === 'number' ? e.exitCode : 1,
  }
}
