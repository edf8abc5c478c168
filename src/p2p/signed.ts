import { createHash } from 'node:crypto'
import * as cbor from '@ipld/dag-cbor'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'

/**
 * A small signed record (the genesis, an invite token): dag-cbor `{ body: <dag-cbor of the
 * fields>, sig }`, signed over a domain tag and the body bytes, so neither can be replayed as the
 * other, nor as a ledger entry or a libp2p record the same key signs. Its id is the sha256 of the
 * whole encoding.
 */
export interface Signed<T> {
  fields: T
  /** The exact signed field bytes. */
  body: Uint8Array
  sig: Uint8Array
  /** What travels and is stored: never re-encoded. */
  encoded: Uint8Array
  id: string
}

export const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/

function tagged(tag: string, body: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(`${tag}\0`), body])
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export async function signRecord<T>(tag: string, privateKey: PrivateKey, fields: T): Promise<Signed<T>> {
  const body = cbor.encode(fields)
  const sig = await privateKey.sign(tagged(tag, body))
  const encoded = cbor.encode({ body, sig })
  return { fields, body, sig, encoded, id: sha256Hex(encoded) }
}

/**
 * Decodes a signed record and checks its signature by the peer id `signer(fields)` names.
 * Returns why not as a string: the caller turns it into its own error.
 */
export async function openRecord<T>(
  tag: string,
  encoded: Uint8Array,
  parse: (fields: unknown) => T | string,
  signer: (fields: T) => string,
): Promise<Signed<T> | string> {
  let outer: unknown
  let inner: unknown
  try {
    outer = cbor.decode(encoded)
    const { body } = outer as { body?: unknown }
    if (!(body instanceof Uint8Array)) return 'it is not a signed record'
    inner = cbor.decode(body)
  } catch {
    return 'it is not valid CBOR'
  }
  const { body, sig } = outer as { body: Uint8Array; sig?: unknown }
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return 'its signature is missing'
  const fields = parse(inner)
  if (typeof fields === 'string') return fields
  const id = signer(fields)
  if (!PEER_ID.test(id)) return `'${id}' is not a peer id`
  const ok = await peerIdFromString(id).publicKey?.verify(tagged(tag, body), sig)
  if (ok !== true) return `its signature is not ${id}'s`
  return { fields, body, sig, encoded, id: sha256Hex(encoded) }
}
