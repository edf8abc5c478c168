import * as cbor from '@ipld/dag-cbor'
import { GOSSIP_MESSAGE_BYTES } from './constants.ts'

/**
 * Gossip messages carrying `encoded` entries in order, each a CBOR list of at most `maxBytes` of
 * entries (far below gossipsub's limit); an entry larger than that travels alone.
 */
export function gossipMessages(encoded: Uint8Array[], maxBytes = GOSSIP_MESSAGE_BYTES): Uint8Array[][] {
  const batches: Uint8Array[][] = []
  let batch: Uint8Array[] = []
  let bytes = 0
  for (const entry of encoded) {
    if (batch.length > 0 && bytes + entry.length > maxBytes) {
      batches.push(batch)
      batch = []
      bytes = 0
    }
    batch.push(entry)
    bytes += entry.length
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

export function encodeGossip(batch: Uint8Array[]): Uint8Array {
  return cbor.encode(batch)
}

/** The entries of a gossip message, or why it is not one: a peer sending it misbehaves. */
export function decodeGossip(data: Uint8Array): { entries: Uint8Array[] } | { invalid: string } {
  let decoded: unknown
  try {
    decoded = cbor.decode(data)
  } catch {
    return { invalid: 'a gossip message that is not CBOR' }
  }
  if (!Array.isArray(decoded) || !decoded.every((e) => e instanceof Uint8Array))
    return { invalid: 'a gossip message that is not a list of entries' }
  return { entries: decoded }
}
