import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { GENESIS_FILE, SWARM_KEY_FILE } from './constants.ts'
import { P2PError } from './errors.ts'
import { openRecord, PEER_ID, type Signed, signRecord } from './signed.ts'
import { checkPrivateFile, swarmKeyFile } from './swarm-key.ts'

/**
 * The swarm's genesis: its founder, signed by the founder. The swarm's pre-shared key is derived
 * from that signature, so the genesis and the key cannot be separated: an invite naming another
 * founder (a member signing a genesis of its own) carries the key of another network, and its
 * joiner reaches no member of this swarm at all. Only the founder can sign this genesis, so only
 * the founder can make its key; whoever holds the genesis holds the key, so it is kept like it.
 */
const GENESIS_TAG = 'farm/genesis/v1'
const SWARM_KEY_TAG = 'farm/swarm-key/v1\0'
const NONCE_BYTES = 16

export interface GenesisFields {
  founder: string
  /** ms since the epoch, for people reading it; nothing depends on it. */
  created: number
  /** Makes every swarm a founder starts a different one. */
  nonce: Uint8Array
}

export type SignedGenesis = Signed<GenesisFields>

export async function createGenesis(privateKey: PrivateKey, now = Date.now()): Promise<SignedGenesis> {
  return signRecord(GENESIS_TAG, privateKey, {
    founder: peerIdFromPrivateKey(privateKey).toString(),
    created: now,
    nonce: new Uint8Array(randomBytes(NONCE_BYTES)),
  })
}

/** The genesis in `encoded`, its founder's signature checked; GENESIS_INVALID naming `where` if not. */
export async function openGenesis(encoded: Uint8Array, where: string): Promise<SignedGenesis> {
  const opened = await openRecord(GENESIS_TAG, encoded, parseGenesis, (g) => g.founder)
  if (typeof opened === 'string') throw P2PError.GENESIS_INVALID(where, opened)
  return opened
}

function parseGenesis(value: unknown): GenesisFields | string {
  const g = value as Partial<GenesisFields> | null
  if (g === null || typeof g !== 'object') return 'it is not a genesis'
  if (Object.keys(g).sort().join() !== 'created,founder,nonce') return 'its fields are not a genesis'
  if (typeof g.founder !== 'string' || !PEER_ID.test(g.founder)) return 'its founder is not a peer id'
  if (!Number.isSafeInteger(g.created)) return 'its time is not a whole number'
  if (!(g.nonce instanceof Uint8Array) || g.nonce.length !== NONCE_BYTES) return 'its nonce is not 16 bytes'
  return g as GenesisFields
}

/** The 32-byte pre-shared key of the swarm this genesis founds. */
export function swarmSecretOf(genesis: SignedGenesis): Uint8Array {
  return new Uint8Array(createHash('sha256').update(SWARM_KEY_TAG).update(genesis.sig).digest())
}

/**
 * Writes the genesis and the swarm key derived from it into the home, mode 0600. A home that has
 * them already is refused unless `replace` (a rekey), which writes each under a temp name and
 * renames it, so neither file is ever half written.
 */
export async function writeSwarmGenesis(
  home: string,
  genesis: SignedGenesis,
  opts: { replace?: boolean } = {},
): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 })
  const files: [string, Uint8Array | string][] = [
    [SWARM_KEY_FILE, swarmKeyFile(swarmSecretOf(genesis))],
    [GENESIS_FILE, `${Buffer.from(genesis.encoded).toString('base64url')}\n`],
  ]
  for (const [name, data] of files) {
    const file = join(home, name)
    if (!opts.replace) await writeFile(file, data, { mode: 0o600, flag: 'wx' })
    else {
      await writeFile(`${file}.tmp`, data, { mode: 0o600 })
      await rename(`${file}.tmp`, file)
    }
  }
}

/** Whether `next` is a later genesis of the same founder: a rekey, which only the founder can sign. */
export function isRekeyOf(current: SignedGenesis, next: SignedGenesis): boolean {
  return next.fields.founder === current.fields.founder && next.fields.created > current.fields.created
}

/** The home's genesis, or undefined when it has none (a home made before signed membership). */
export async function readGenesis(home: string): Promise<SignedGenesis | undefined> {
  const file = join(home, GENESIS_FILE)
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (text === undefined) return undefined
  await checkPrivateFile(file, 'genesis')
  return openGenesis(new Uint8Array(Buffer.from(text.trim(), 'base64url')), file)
}
