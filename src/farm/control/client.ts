import { connect, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { FarmError } from '../errors.ts'
import type { MethodName, ParamsOf, ResultOf } from './api.ts'
import { type ControlError, socketPath } from './socket.ts'

/** Long enough for a sync with every peer (`ledger`); `submit` and `fetch` pass their own. */
const DEFAULT_TIMEOUT_MS = 30_000

function open(path: string, notRunning: () => Error): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    socket.once('connect', () => resolve(socket))
    socket.once('error', (err: NodeJS.ErrnoException) => {
      reject(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK'].includes(err.code ?? '') ? notRunning() : err)
    })
  })
}

/** Calls one method on the node running in `home`; throws FarmError (with the node's code) on failure. */
export async function callNode<M extends MethodName>(
  home: string,
  method: M,
  ...[params, opts]: ParamsOf<M> extends Record<string, never>
    ? [params?: ParamsOf<M>, opts?: { timeoutMs?: number }]
    : [params: ParamsOf<M>, opts?: { timeoutMs?: number }]
): Promise<ResultOf<M>> {
  const socket = await open(socketPath(home), () => FarmError.NODE_NOT_RUNNING(home))
  let timer: NodeJS.Timeout | undefined
  try {
    const lines = createInterface({ input: socket })
    socket.write(`${JSON.stringify({ id: 1, method, params: params ?? {} })}\n`)
    let timedOut = false
    timer = setTimeout(() => {
      timedOut = true
      socket.destroy()
    }, opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    for await (const line of lines) {
      const reply = JSON.parse(line) as { id: unknown; result?: ResultOf<M>; error?: ControlError }
      if (reply.id !== 1) continue
      if (reply.error) throw FarmError.fromNode(reply.error)
      return reply.result as ResultOf<M>
    }
    if (timedOut) throw FarmError.NODE_TIMEOUT(home, method)
    throw FarmError.NODE_GONE(home, method)
  } finally {
    // A pending timer would keep a failed command alive for the whole timeout.
    clearTimeout(timer)
    socket.destroy()
  }
}

/** Streams the events of the node running in `home` until the returned iterator is closed. */
export function subscribeNode(home: string): AsyncGenerator<unknown> {
  return subscribeSocket(socketPath(home), () => FarmError.NODE_NOT_RUNNING(home))
}

/**
 * Streams the events of whatever speaks the control socket's `subscribe` on `path`: a node, or
 * a capture's `capture.sock`; `notRunning` is the error when nothing listens there.
 */
export async function* subscribeSocket(path: string, notRunning: () => Error): AsyncGenerator<unknown> {
  const socket = await open(path, notRunning)
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
