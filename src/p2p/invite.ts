import { createHash, randomBytes } from 'node:crypto'
import * as cbor from '@ipld/dag-cbor'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { P2PError } from './errors.ts'
import { openGenesis, type SignedGenesis, swarmSecretOf } from './genesis.ts'
import { openRecord, PEER_ID, type Signed, signRecord } from './signed.ts'

/**
 * An invite is `farm2.` + base64url(dag-cbor { g: genesis, t: token, a: [multiaddr...] } |
 * checksum). The genesis carries the swarm key (genesis.ts); the token is what a member signed
 * to let someone in: for this swarm only, until `expires`, for `uses` nodes. A joiner presents
 * the token to a member, which checks it and writes the `admit` (the farm part does that); every
 * member counts the uses spent from the ledger, so a leaked invite admits no more than its uses,
 * and none after it expires. The 4-byte sha256 checksum turns a truncated or mangled paste into
 * a clear error instead of a silent "cannot connect".
 */
const PREFIX = 'farm2.'
const CHECKSUM_BYTES = 4
const TOKEN_TAG = 'farm/invite/v1'
const NONCE_BYTES = 16
/** Addresses an invite carries: enough members to find one alive, short enough to paste. */
export const MAX_INVITE_ADDRESSES = 16

export interface TokenFields {
  /** The id of the genesis of the swarm it lets into. */
  swarm: string
  issuer: string
  /** Makes two invites issued at once different tokens (their uses counted apart). */
  nonce: Uint8Array
  /** ms since the epoch after which no member accepts it. */
  expires: number
  /** How many nodes it may admit. */
  uses: number
}

export type InviteToken = Signed<TokenFields>

export interface Invite {
  genesis: SignedGenesis
  token: InviteToken
  addresses: string[]
  /** The swarm's pre-shared key, derived from the genesis. */
  secret: Uint8Array
}

export async function issueToken(
  privateKey: PrivateKey,
  genesis: SignedGenesis,
  opts: { expires: number; uses: number },
): Promise<InviteToken> {
  return signRecord(TOKEN_TAG, privateKey, {
    swarm: genesis.id,
    issuer: peerIdFromPrivateKey(privateKey).toString(),
    nonce: new Uint8Array(randomBytes(NONCE_BYTES)),
    expires: opts.expires,
    uses: opts.uses,
  })
}

/** The token in `encoded` with its issuer's signature checked; INVITE_INVALID if not. */
export async function openToken(encoded: Uint8Array): Promise<InviteToken> {
  const opened = await openRecord(TOKEN_TAG, encoded, parseToken, (t) => t.issuer)
  if (typeof opened === 'string') throw P2PError.INVITE_INVALID(`its token: ${opened}`)
  return opened
}

function parseToken(value: unknown): TokenFields | string {
  const t = value as Partial<TokenFields> | null
  if (t === null || typeof t !== 'object') return 'it is not a token'
  if (Object.keys(t).sort().join() !== 'expires,issuer,nonce,swarm,uses') return 'its fields are not a token'
  if (typeof t.swarm !== 'string' || !/^[0-9a-f]{64}$/.test(t.swarm)) return 'it names no swarm'
  if (typeof t.issuer !== 'string' || !PEER_ID.test(t.issuer)) return 'its issuer is not a peer id'
  if (!(t.nonce instanceof Uint8Array) || t.nonce.length !== NONCE_BYTES) return 'its nonce is not 16 bytes'
  if (!Number.isSafeInteger(t.expires)) return 'its expiry is not a time'
  if (!Number.isSafeInteger(t.uses) || (t.uses as number) < 1) return 'its uses are not a count'
  return t as TokenFields
}

export function encodeInvite(invite: Omit<Invite, 'secret'>): string {
  const body = cbor.encode({
    g: invite.genesis.encoded,
    t: invite.token.encoded,
    a: invite.addresses.slice(0, MAX_INVITE_ADDRESSES),
  })
  return PREFIX + Buffer.concat([body, checksum(body)]).toString('base64url')
}

/** Reads an invite and checks both signatures; INVITE_INVALID (exit 2) saying what is wrong. */
export async function decodeInvite(text: string): Promise<Invite> {
  // Terminals and chat clients wrap long strings: whitespace is never part of an invite.
  const trimmed = text.replace(/\s+/g, '')
  if (!trimmed.startsWith('farm')) throw P2PError.INVITE_INVALID(`it does not start with '${PREFIX}'`)
  if (trimmed.startsWith('farm1.'))
    throw P2PError.INVITE_INVALID(
      'it was made by an older farm, before invites were signed; ask for a new one',
    )
  if (!trimmed.startsWith(PREFIX)) {
    throw P2PError.INVITE_INVALID(
      `it is version '${trimmed.split('.')[0]}', this farm reads '${PREFIX.slice(0, -1)}'; update farm`,
    )
  }
  const encoded = trimmed.slice(PREFIX.length)
  if (!/^[A-Za-z0-9_-]*$/.test(encoded))
    throw P2PError.INVITE_INVALID('it contains characters an invite never has')
  const bytes = Buffer.from(encoded, 'base64url')
  if (bytes.length < 16 + CHECKSUM_BYTES) throw P2PError.INVITE_INVALID('it is truncated (too short)')
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES)
  if (!checksum(body).equals(bytes.subarray(bytes.length - CHECKSUM_BYTES))) {
    throw P2PError.INVITE_INVALID('its checksum does not match, so it was truncated or altered while copying')
  }
  let parts: { g?: unknown; t?: unknown; a?: unknown }
  try {
    parts = cbor.decode(body) as typeof parts
  } catch {
    throw P2PError.INVITE_INVALID('its content is not an invite')
  }
  if (!(parts?.g instanceof Uint8Array) || !(parts.t instanceof Uint8Array) || !Array.isArray(parts.a))
    throw P2PError.INVITE_INVALID('its content is not an invite')
  const genesis = await openGenesis(parts.g, 'this invite')
  const token = await openToken(parts.t)
  if (token.fields.swarm !== genesis.id)
    throw P2PError.INVITE_INVALID('its token was issued for another swarm than its genesis')
  const addresses = parts.a.slice(0, MAX_INVITE_ADDRESSES).map((addr) => {
    if (typeof addr !== 'string') throw P2PError.INVITE_INVALID('an address is not text')
    try {
      multiaddr(addr)
    } catch {
      throw P2PError.INVITE_INVALID(`'${addr}' is not a multiaddr`)
    }
    return addr
  })
  return { genesis, token, addresses, secret: swarmSecretOf(genesis) }
}

function checksum(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest().subarray(0, CHECKSUM_BYTES)
}
