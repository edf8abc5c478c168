import { createHash } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { P2PError } from './errors.ts'
import { SWARM_SECRET_BYTES } from './swarm-key.ts'

/**
 * An invite is `farm1.` + base64url(secret | address count | (length, utf-8 multiaddr)...
 * [| genesis count | (length, utf-8 peer id)...] | checksum). The genesis part (the founder,
 * whose grants are the swarm's only credits) is optional, so invites without it still read.
 * The version prefix lets a later format coexist; the 4-byte sha256 checksum turns a truncated
 * or mangled paste into a clear error instead of a silent "cannot connect".
 */
const PREFIX = 'farm1.'
const CHECKSUM_BYTES = 4

export interface Invite {
  secret: Uint8Array
  addresses: string[]
  /** Peer ids whose grants count; empty in invites from before there was one. */
  genesis?: string[]
}

export function encodeInvite(invite: Invite): string {
  if (invite.secret.length !== SWARM_SECRET_BYTES) throw new Error('a swarm secret is 32 bytes')
  const parts: Uint8Array[] = [invite.secret]
  pushStrings(parts, invite.addresses)
  if (invite.genesis?.length) pushStrings(parts, invite.genesis)
  const body = Buffer.concat(parts)
  return PREFIX + Buffer.concat([body, checksum(body)]).toString('base64url')
}

export function decodeInvite(text: string): Invite {
  // Terminals and chat clients wrap long strings: whitespace is never part of an invite.
  const trimmed = text.replace(/\s+/g, '')
  if (!trimmed.startsWith('farm')) throw P2PError.INVITE_INVALID("it does not start with 'farm1.'")
  if (!trimmed.startsWith(PREFIX)) {
    throw P2PError.INVITE_INVALID(
      `it is version '${trimmed.split('.')[0]}', this farm reads 'farm1'; update farm`,
    )
  }
  const encoded = trimmed.slice(PREFIX.length)
  if (!/^[A-Za-z0-9_-]*$/.test(encoded))
    throw P2PError.INVITE_INVALID('it contains characters an invite never has')
  const bytes = Buffer.from(encoded, 'base64url')
  if (bytes.length < SWARM_SECRET_BYTES + 1 + CHECKSUM_BYTES)
    throw P2PError.INVITE_INVALID('it is truncated (too short)')
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES)
  if (!checksum(body).equals(bytes.subarray(bytes.length - CHECKSUM_BYTES))) {
    throw P2PError.INVITE_INVALID('its checksum does not match, so it was truncated or altered while copying')
  }
  const secret = new Uint8Array(body.subarray(0, SWARM_SECRET_BYTES))
  const read = readStrings(body, SWARM_SECRET_BYTES)
  for (const addr of read.strings) {
    try {
      multiaddr(addr)
    } catch {
      throw P2PError.INVITE_INVALID(`'${addr}' is not a multiaddr`)
    }
  }
  if (read.at === body.length) return { secret, addresses: read.strings, genesis: [] }
  const genesis = readStrings(body, read.at)
  for (const id of genesis.strings) {
    if (!/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/.test(id))
      throw P2PError.INVITE_INVALID(`'${id}' is not a peer id`)
  }
  if (genesis.at !== body.length) throw P2PError.INVITE_INVALID('it has trailing bytes')
  return { secret, addresses: read.strings, genesis: genesis.strings }
}

/** A count byte, then each string as (uint16 length, utf-8). */
function pushStrings(parts: Uint8Array[], strings: string[]): void {
  const encoded = strings.slice(0, 255).map((a) => Buffer.from(a, 'utf8'))
  parts.push(Uint8Array.of(encoded.length))
  for (const bytes of encoded) {
    const len = Buffer.alloc(2)
    len.writeUInt16BE(bytes.length)
    parts.push(len, bytes)
  }
}

function readStrings(body: Buffer, start: number): { strings: string[]; at: number } {
  const count = body[start] ?? 0
  const strings: string[] = []
  let at = start + 1
  for (let i = 0; i < count; i++) {
    if (at + 2 > body.length) throw P2PError.INVITE_INVALID('an address is cut short')
    const len = body.readUInt16BE(at)
    if (at + 2 + len > body.length) throw P2PError.INVITE_INVALID('an address is cut short')
    strings.push(body.subarray(at + 2, at + 2 + len).toString('utf8'))
    at += 2 + len
  }
  return { strings, at }
}

function checksum(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest().subarray(0, CHECKSUM_BYTES)
}
