import type { Stream } from '@libp2p/interface'
import { READ_TIMEOUT_MS } from './constants.ts'
import { P2PError } from './errors.ts'

const HEADER_BYTES = 4

/**
 * Messages with a 4-byte big-endian length over a v3 stream, with a size limit per message, a
 * timeout on every read and a cap on what may wait unread. The protocols above grant the sender
 * credit (acks), so an honest peer never reaches the cap and a peer that ignores credit is cut
 * off instead of growing our memory. Credit, not stream pause/resume: in libp2p 3.3 a pause
 * issued while resume() dispatches is undone by it, so yamux keeps granting window.
 */
export class FramedStream {
  readonly stream: Stream
  private readonly peer: string
  private readonly maxMessageBytes: number
  private readonly readTimeoutMs: number
  private chunks: Uint8Array[] = []
  private buffered = 0
  private ended = false
  private failure: Error | undefined
  private wake: (() => void) | undefined

  constructor(
    stream: Stream,
    opts: { maxMessageBytes: number; maxBufferedBytes: number; readTimeoutMs?: number; peer: string },
  ) {
    this.stream = stream
    this.peer = opts.peer
    this.maxMessageBytes = opts.maxMessageBytes
    this.readTimeoutMs = opts.readTimeoutMs ?? READ_TIMEOUT_MS
    stream.addEventListener('message', (evt) => {
      // The pieces as they came: joining them here would copy every byte once more.
      const data = evt.data
      if (data instanceof Uint8Array) this.chunks.push(data)
      else for (const piece of data) this.chunks.push(piece)
      this.buffered += data.byteLength
      if (this.buffered > opts.maxBufferedBytes && this.failure === undefined) {
        this.failure = P2PError.PROTOCOL(opts.peer, `sent ${this.buffered} bytes beyond its credit`)
        stream.abort(this.failure)
      }
      this.wake?.()
    })
    const finish = (evt: Event) => {
      this.ended = true
      this.failure ??= (evt as Event & { error?: Error }).error
      this.wake?.()
    }
    stream.addEventListener('end', finish)
    stream.addEventListener('close', finish)
  }

  async read(): Promise<Uint8Array> {
    const signal = AbortSignal.timeout(this.readTimeoutMs)
    for (;;) {
      const message = this.take()
      if (message !== undefined) return message
      if (this.failure !== undefined) throw this.failure
      if (this.ended) throw P2PError.STREAM_ENDED(this.peer)
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason)
        signal.addEventListener('abort', onAbort, { once: true })
        this.wake = () => {
          signal.removeEventListener('abort', onAbort)
          this.wake = undefined
          resolve()
        }
      })
    }
  }

  async write(message: Uint8Array): Promise<void> {
    const header = new Uint8Array(HEADER_BYTES)
    new DataView(header.buffer).setUint32(0, message.byteLength)
    const headerFits = this.stream.send(header)
    const messageFits = this.stream.send(message)
    if (!headerFits || !messageFits)
      await this.stream.onDrain({ signal: AbortSignal.timeout(this.readTimeoutMs) })
  }

  async close(): Promise<void> {
    await this.stream
      .close({ signal: AbortSignal.timeout(this.readTimeoutMs) })
      .catch(() => this.stream.abort(new Error('closing the stream timed out')))
  }

  private take(): Uint8Array | undefined {
    if (this.buffered < HEADER_BYTES) return undefined
    const head = this.peek(HEADER_BYTES)
    const length = new DataView(head.buffer, head.byteOffset, HEADER_BYTES).getUint32(0)
    if (length > this.maxMessageBytes) {
      throw P2PError.MESSAGE_TOO_LARGE(this.peer, length, this.maxMessageBytes)
    }
    if (this.buffered < HEADER_BYTES + length) return undefined
    this.consume(HEADER_BYTES)
    const message = this.peek(length)
    this.consume(length)
    return message
  }

  /** The first `n` buffered bytes, copied only when they span chunks. */
  private peek(n: number): Uint8Array {
    const first = this.chunks[0]
    if (n === 0) return new Uint8Array(0)
    if (first !== undefined && first.byteLength >= n) return first.subarray(0, n)
    const out = new Uint8Array(n)
    let at = 0
    for (const chunk of this.chunks) {
      const part = chunk.subarray(0, n - at)
      out.set(part, at)
      at += part.byteLength
      if (at === n) break
    }
    return out
  }

  private consume(n: number): void {
    this.buffered -= n
    while (n > 0) {
      const first = this.chunks[0]!
      if (first.byteLength <= n) {
        n -= first.byteLength
        this.chunks.shift()
      } else {
        this.chunks[0] = first.subarray(n)
        n = 0
      }
    }
  }
}
