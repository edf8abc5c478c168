import { createHash } from 'node:crypto'

/**
 * Signatures cover a domain tag before the entry bytes, so a farm entry signature can never be
 * replayed as a signature over some other message the same libp2p key signs (a noise handshake,
 * a libp2p record), and vice versa.
 */
const ENTRY_TAG = new TextEncoder().encode('farm/ledger/entry/v1\0')

export function signable(entryBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENTRY_TAG.length + entryBytes.length)
  out.set(ENTRY_TAG, 0)
  out.set(entryBytes, ENTRY_TAG.length)
  return out
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
