import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import type { ConnectionProtector, MessageStream } from '@libp2p/interface'
import { preSharedKey } from '@libp2p/pnet'
import { multiaddrConnectionPair } from '@libp2p/utils'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nativePreSharedKey, XSalsa20Stream } from '../../src/p2p/pnet-native.ts'
import { newSwarmSecret, swarmKeyFile } from '../../src/p2p/swarm-key.ts'

const sodium = createRequire(import.meta.url)('sodium-native') as {
  crypto_stream_xor(out: Uint8Array, input: Uint8Array, nonce: Uint8Array, key: Uint8Array): void
}

const jsProtector = (secret: Uint8Array) => preSharedKey({ psk: swarmKeyFile(secret) })()
const nativeProtector = (secret: Uint8Array) => nativePreSharedKey(secret)()

/** Both ends of an in-memory connection, each protected by its own protector. */
async function protectedPair(outbound: ConnectionProtector, inbound: ConnectionProtector) {
  const [a, b] = multiaddrConnectionPair()
  return Promise.all([outbound.protect(a), inbound.protect(b)])
}

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Sends `chunks` from one end and resolves with everything the other end received. */
async function carry(from: MessageStream, to: MessageStream, chunks: Uint8Array[]): Promise<Buffer> {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0)
  const got: Uint8Array[] = []
  let have = 0
  const done = new Promise<void>((resolve) => {
    to.addEventListener('message', (evt) => {
      const data = evt.data.subarray()
      got.push(data)
      have += data.byteLength
      if (have >= total) resolve()
    })
  })
  for (const chunk of chunks) from.send(chunk)
  await done
  return Buffer.concat(got)
}

const chunked = fc
  .array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 20 })
  .map((chunks) => chunks.map((c) => new Uint8Array(c)))

describe('the native XSalsa20 keystream', () => {
  it('continues across chunks of any length exactly as one XSalsa20 over the whole message', () => {
    const key = newSwarmSecret()
    fc.assert(
      fc.property(chunked, fc.uint8Array({ minLength: 24, maxLength: 24 }), (chunks, nonce) => {
        const whole = Buffer.concat(chunks)
        const expected = Buffer.alloc(whole.byteLength)
        sodium.crypto_stream_xor(expected, whole, nonce, key)
        const copied = new XSalsa20Stream(nonce, key)
        const out = Buffer.from(copied.copy(chunks, whole.byteLength))
        const inPlace = new XSalsa20Stream(nonce, key)
        const mutable = chunks.map((c) => Uint8Array.from(c))
        inPlace.inPlace(mutable)
        return out.equals(expected) && Buffer.concat(mutable).equals(expected)
      }),
    )
  })

  it('refuses a nonce or key of the wrong size with an error instead of aborting the process', () => {
    expect(() => new XSalsa20Stream(new Uint8Array(23), newSwarmSecret())).toThrow(/24-byte nonce/)
    expect(() => new XSalsa20Stream(new Uint8Array(24), new Uint8Array(31))).toThrow(/32-byte key/)
    expect(() => nativePreSharedKey(new Uint8Array(16))()).toThrow(/32 bytes/)
  })
})

describe('the native private network protector against @libp2p/pnet', () => {
  it('speaks the same handshake and stream: bytes sent either way arrive unchanged', async () => {
    const secret = newSwarmSecret()
    for (const [outbound, inbound] of [
      [nativeProtector(secret), jsProtector(secret)],
      [jsProtector(secret), nativeProtector(secret)],
    ] as const) {
      const [a, b] = await protectedPair(outbound, inbound)
      const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array(70_000).fill(7), new Uint8Array(61).fill(9)]
      const back = chunks.slice().reverse()
      // Digests, not the bytes: a failing comparison of 70 kB arrays takes vitest minutes to print.
      expect(digest(await carry(a, b, chunks))).toBe(digest(Buffer.concat(chunks)))
      expect(digest(await carry(b, a, back))).toBe(digest(Buffer.concat(back)))
    }
  })

  it('turns the bytes into noise for a peer with another secret, and never sends them in clear', async () => {
    const [a, b] = await protectedPair(nativeProtector(newSwarmSecret()), jsProtector(newSwarmSecret()))
    const plain = new TextEncoder().encode('/noise the multistream header a stranger must not read')
    const got = await carry(a, b, [plain])
    expect(got.byteLength).toBe(plain.byteLength)
    expect(got.equals(Buffer.from(plain))).toBe(false)
  })
})
