import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach } from 'vitest'
import { type EntryFields, encodeEntry, type Ledger, openLedger } from '../../src/ledger/index.ts'
import { tempDir } from '../helpers/farm.ts'

export { jobBody } from '../helpers/farm-state.ts'

const open: Ledger[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()))
})

/** A ledger in a fresh temp dir, closed after each test. */
export async function newLedger(
  opts: { privateKey?: PrivateKey; now?: () => number; path?: string; genesis?: string[] } = {},
) {
  const ledger = await openLedger({
    path: opts.path ?? (await tempDir('farm-ledger-')),
    privateKey: opts.privateKey ?? (await generateKeyPair('Ed25519')),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.genesis ? { genesis: opts.genesis } : {}),
  })
  open.push(ledger)
  return ledger
}

export const hex = (c: string) => c.repeat(64).slice(0, 64)

/** An author that signs entries by hand, for entries a well-behaved ledger would never write. */
export async function forger() {
  const key = await generateKeyPair('Ed25519')
  const author = peerIdFromPrivateKey(key).toString()
  return {
    key,
    author,
    /** Any type and body, known or not: the one place a test signs what the schema refuses. */
    async entry(
      fields: Partial<Omit<EntryFields, 'type' | 'body'>> & { seq: number; type: string; body: unknown },
      signer = key,
    ) {
      const full = {
        v: 1,
        author,
        prev: null,
        lamport: fields.seq,
        ts: 1_000 + fields.seq,
        ...fields,
      } as EntryFields
      return encodeEntry(full, signer)
    },
  }
}

/** Re-wraps signed entry bytes with another signature, as a tampering peer would. */
export function withSignature(encoded: Uint8Array, sig: Uint8Array): Uint8Array {
  const outer = dagCbor.decode(encoded) as { entry: Uint8Array }
  return dagCbor.encode({ entry: outer.entry, sig })
}

export async function syncInto(from: Ledger, to: Ledger, maxBatchEntries = 7) {
  for await (const encoded of from.missing(await to.clock(), { maxBatchEntries })) {
    const result = await to.ingest(encoded)
    if (result.refused.length > 0) throw new Error(`refused: ${JSON.stringify(result.refused)}`)
  }
}
