import * as cbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import { MAX_QUERY_BYTES } from './constants.ts'
import { P2PError } from './errors.ts'
import { FramedStream } from './framed.ts'

/**
 * A query protocol: one CBOR request, one CBOR answer, then the stream closes. The swarm carries
 * it for the parts above (which give the protocol its meaning) the way it carries ledger bytes:
 * without knowing what is asked.
 */
export type QueryHandler = (request: unknown, peer: string) => Promise<unknown>

/** Runs one exchange over the stream; any failure aborts the stream so the other side stops waiting. */
async function exchange<T>(
  stream: Stream,
  opts: { peer: string; readTimeoutMs?: number },
  fn: (messages: FramedStream) => Promise<T>,
): Promise<T> {
  const messages = new FramedStream(stream, {
    peer: opts.peer,
    maxMessageBytes: MAX_QUERY_BYTES,
    maxBufferedBytes: MAX_QUERY_BYTES + 4,
    readTimeoutMs: opts.readTimeoutMs,
  })
  try {
    const result = await fn(messages)
    await messages.close()
    return result
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

function decode(bytes: Uint8Array, peer: string): unknown {
  try {
    return cbor.decode(bytes)
  } catch {
    throw P2PError.PROTOCOL(peer, 'a query message is not valid CBOR')
  }
}

function encode(message: unknown): Uint8Array {
  const bytes = cbor.encode(message)
  if (bytes.byteLength > MAX_QUERY_BYTES) throw P2PError.QUERY_TOO_LARGE(bytes.byteLength, MAX_QUERY_BYTES)
  return bytes
}

export function answerQuery(
  stream: Stream,
  handler: QueryHandler,
  opts: { peer: string; readTimeoutMs?: number },
): Promise<void> {
  return exchange(stream, opts, async (messages) => {
    const request = decode(await messages.read(), opts.peer)
    await messages.write(encode(await handler(request, opts.peer)))
  })
}

export function askOver(
  stream: Stream,
  request: unknown,
  opts: { peer: string; readTimeoutMs?: number },
): Promise<unknown> {
  return exchange(stream, opts, async (messages) => {
    await messages.write(encode(request))
    return decode(await messages.read(), opts.peer)
  })
}
