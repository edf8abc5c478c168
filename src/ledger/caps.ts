import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'

/**
 * Signatures cover a domain tag before the entry bytes, so a farm entry signature can never be
 * replayed as a signature over some other message the same libp2p key signs (a noise handshake,
 * a libp2p record), and vice versa.
 */
const ENTRY_TAG = new TextEncoder().encode('farm/ledger/entry/v1\0')

/** DER headers that wrap a raw ed25519 seed (PKCS#8) or public key (SPKI) for node:crypto. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')

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

const signers = new WeakMap<PrivateKey, KeyObject>()

/**
 * node:crypto key objects are built once per key: libp2p's ed25519 keys rebuild one from JWK on
 * every call, which costs more than the signature itself. The callback forms run on libuv's
 * thread pool, so a batch signs and verifies on every core.
 */
export function signEntryBytes(privateKey: PrivateKey, entryBytes: Uint8Array): Promise<Uint8Array> {
  let key = signers.get(privateKey)
  if (!key) {
    key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519, privateKey.raw.subarray(0, 32)]),
      format: 'der',
      type: 'pkcs8',
    })
    signers.set(privateKey, key)
  }
  const signer = key
  return new Promise((resolve, reject) => {
    sign(null, signable(entryBytes), signer, (err, sig) => (err ? reject(err) : resolve(new Uint8Array(sig))))
  })
}

export function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' })
}

export function verifyEntryBytes(key: KeyObject, entryBytes: Uint8Array, sig: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    verify(null, signable(entryBytes), key, sig, (err, ok) => resolve(!err && ok))
  })
}

export function verifyEntryBytesSync(key: KeyObject, entryBytes: Uint8Array, sig: Uint8Array): boolean {
  try {
    return verify(null, signable(entryBytes), key, sig)
  } catch {
    return false
  }
}
