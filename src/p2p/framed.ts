import type { Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { READ_TIMEOUT_MS } from './constants.ts'

/**
 * Length-prefixed messages over a v3 stream, with a timeout on every read and real
 * back-pressure: between reads the stream is paused, so a slow consumer (ingesting a batch,
 * writing a file) stops the muxer's window updates and the sender's writes wait on drain.
 */
export class FramedStream {
  readonly stream: Stream
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly readTimeoutMs: number

  constructor(stream: Stream, opts: { maxMessageBytes: number; readTimeoutMs?: number }) {
    this.stream = stream
    this.lp = lpStream(stream, {
      maxDataLength: opts.maxMessageBytes,
      maxBufferSize: opts.maxMessageBytes * 2,
    })
    this.readTimeoutMs = opts.readTimeoutMs ?? READ_TIMEOUT_MS
  }

  async read(): Promise<Uint8Array> {
    if (this.stream.readStatus === 'paused') this.stream.resume()
    try {
      const list = await this.lp.read({ signal: AbortSignal.timeout(this.readTimeoutMs) })
      return list.subarray()
    } finally {
      if (this.stream.readStatus === 'readable') this.stream.pause()
    }
  }

  async write(message: Uint8Array): Promise<void> {
    await this.lp.write(message, { signal: AbortSignal.timeout(this.readTimeoutMs) })
  }

  async close(): Promise<void> {
    await this.stream
      .close({ signal: AbortSignal.timeout(this.readTimeoutMs) })
      .catch(() => this.stream.abort(new Error('close timed out')))
  }
}
