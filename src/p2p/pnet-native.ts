import { createRequire } from 'node:module'
import type {
  AbortOptions,
  ConnectionProtector,
  MessageStream,
  MultiaddrConnection,
  StreamCloseEvent,
  StreamMessageEvent,
} from '@libp2p/interface'
import { AbstractMultiaddrConnection, byteStream, type SendResult } from '@libp2p/utils'

/** The stateful XSalsa20 of sodium-native 5 (its binding's names; the package ships no types). */
interface SodiumStream {
  crypto_stream_xor_STATEBYTES: number
  crypto_stream_xor_init(state: Uint8Array, nonce: Uint8Array, key: Uint8Array): void
  crypto_stream_xor_update(state: Uint8Array, out: Uint8Array, input: Uint8Array): void
  crypto_stream_xor_final(state: Uint8Array): void
}

const sodium = createRequire(import.meta.url)('sodium-native') as SodiumStream

export const PNET_NONCE_BYTES = 24
export const PNET_KEY_BYTES = 32
/** @libp2p/pnet's default: a peer that sends no nonce within this long is not one of ours. */
const NONCE_TIMEOUT_MS = 1_000

/**
 * One direction of the private network's cipher: XSalsa20 keyed by the swarm secret and one
 * side's nonce, as a keystream that continues across chunks of any length (libsodium's
 * `crypto_stream_xsalsa20_xor_ic` under sodium-native's stateful wrapper).
 */
export class XSalsa20Stream {
  private readonly state = new Uint8Array(sodium.crypto_stream_xor_STATEBYTES)

  constructor(nonce: Uint8Array, key: Uint8Array) {
    // The binding asserts sizes in C: a wrong one would abort the process, not throw.
    if (nonce.byteLength !== PNET_NONCE_BYTES || key.byteLength !== PNET_KEY_BYTES)
      throw new RangeError(`XSalsa20 needs a ${PNET_NONCE_BYTES}-byte nonce and a ${PNET_KEY_BYTES}-byte key`)
    sodium.crypto_stream_xor_init(this.state, nonce, key)
  }

  /** XORs the chunks, in order, into one new buffer (never into the caller's bytes). */
  copy(chunks: Iterable<Uint8Array>, length: number): Uint8Array {
    const out = Buffer.allocUnsafe(length)
    let at = 0
    for (const chunk of chunks) {
      sodium.crypto_stream_xor_update(this.state, out.subarray(at, at + chunk.byteLength), chunk)
      at += chunk.byteLength
    }
    return out
  }

  /** XORs the chunks in place, in order. */
  inPlace(chunks: Iterable<Uint8Array>): void {
    for (const chunk of chunks) sodium.crypto_stream_xor_update(this.state, chunk, chunk)
  }

  /** Wipes the key and nonce from the state. */
  final(): void {
    sodium.crypto_stream_xor_final(this.state)
  }
}

/**
 * The connection protector of @libp2p/pnet 3 with libsodium doing the XSalsa20: the same
 * handshake (each side sends 24 random bytes and reads the peer's) and the same stream (each
 * side XORs what it sends with XSalsa20(secret, its own nonce) from the first byte on, and what
 * it receives with XSalsa20(secret, the peer's nonce)), so nodes running @libp2p/pnet and nodes
 * running this one connect to each other. @libp2p/pnet's cipher is WebAssembly and, under
 * Noise, was a fifth to a quarter of a blob transfer's CPU; libsodium's is five times faster. Noise
 * still authenticates every byte on top: this layer only keeps out peers without the secret.
 */
class NativePreSharedKeyProtector implements ConnectionProtector {
  readonly [Symbol.toStringTag] = 'farm/pnet-native'
  private readonly psk: Uint8Array

  constructor(psk: Uint8Array) {
    if (psk.byteLength !== PNET_KEY_BYTES)
      throw new RangeError(`the private network's secret must be ${PNET_KEY_BYTES} bytes`)
    this.psk = psk
  }

  async protect(connection: MessageStream, options?: AbortOptions): Promise<MessageStream> {
    const localNonce = crypto.getRandomValues(new Uint8Array(PNET_NONCE_BYTES))
    const opts = options ?? { signal: AbortSignal.timeout(NONCE_TIMEOUT_MS) }
    const bytes = byteStream(connection)
    const [remote] = await Promise.all([
      bytes.read({ bytes: PNET_NONCE_BYTES, ...opts }),
      bytes.write(localNonce, opts),
    ])
    return new XSalsa20Connection({
      maConn: bytes.unwrap() as MultiaddrConnection,
      inbound: new XSalsa20Stream(remote.subarray(), this.psk),
      outbound: new XSalsa20Stream(localNonce, this.psk),
    })
  }
}

/** The protected connection: bytes from the transport are deciphered, bytes to it enciphered. */
class XSalsa20Connection extends AbstractMultiaddrConnection {
  private readonly maConn: MultiaddrConnection
  private readonly outbound: XSalsa20Stream

  constructor(init: { maConn: MultiaddrConnection; inbound: XSalsa20Stream; outbound: XSalsa20Stream }) {
    const { maConn, inbound } = init
    super({ remoteAddr: maConn.remoteAddr, direction: maConn.direction, log: maConn.log.newScope('pnet') })
    this.maConn = maConn
    this.outbound = init.outbound
    // In place: what the transport hands over are its own fresh read buffers, read by no one
    // else, and every copy of a blob's bytes is more garbage for the receiver to collect.
    maConn.addEventListener('message', (evt: StreamMessageEvent) => {
      const data = evt.data
      inbound.inPlace(data instanceof Uint8Array ? [data] : data)
      this.onData(data)
    })
    maConn.addEventListener('drain', () => this.onMuxerDrain())
    maConn.addEventListener('close', (evt: StreamCloseEvent) => {
      inbound.final()
      this.outbound.final()
      if (evt.error === undefined) this.onTransportClosed()
      else if (evt.local === true) this.abort(evt.error)
      else this.onRemoteReset()
    })
  }

  async sendClose(options?: AbortOptions): Promise<void> {
    await this.maConn.close(options)
  }

  sendData(data: Parameters<AbstractMultiaddrConnection['sendData']>[0]): SendResult {
    return {
      sentBytes: data.byteLength,
      canSendMore: this.maConn.send(this.outbound.copy(data, data.byteLength)),
    }
  }

  sendReset(err: Error): void {
    this.maConn.abort(err)
  }

  sendPause(): void {
    this.maConn.pause()
  }

  sendResume(): void {
    this.maConn.resume()
  }
}

/** The protector for libp2p's `connectionProtector`, from the raw 32-byte swarm secret. */
export function nativePreSharedKey(psk: Uint8Array): () => ConnectionProtector {
  return () => new NativePreSharedKeyProtector(psk)
}
