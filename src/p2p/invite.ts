import { createHash } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { P2PError } from './errors.ts'
import { SWARM_SECRET_BYTES } from './swarm-key.ts'

/**
 * An invite is `farm1.` + base64url(secret | address count | (length, utf-8 multiaddr)... | checksum).
 * The version prefix lets a later format coexist; the 4-byte sha256 checksum turns a truncated
 * or mangled paste into a clear error instead of a silent "cannot connect".
 */
const PREFIX = 'farm1.'
const CHECKSUM_BYTES = 4

export interface Invite {
  secret: Uint8Array
  addresses: string[]
}

export function encodeInvite(invite: Invite): string {
  if (invite.secret.length !== SWARM_SECRET_BYTES) throw new Error('a swarm secret is 32 bytes')
  const addrs = invite.addresses.slice(0, 255).map((a) => Buffer.from(a, 'utf8'))
  const parts: Uint8Array[] = [invite.secret, Uint8Array.of(addrs.length)]
  for (const addr of addrs) {
    const len = Buffer.alloc(2)
    len.writeUInt16BE(addr.length)
    parts.push(len, addr)
  }
  const body = Buffer.concat(parts)
  return PREFIX + Buffer.concat([body, checksum(body)]).toString('base64url')
}

export function decodeInvite(text: string): Invite {
  // Terminals and chat clients wrap long strings: whitespace is never part of an invite.
  const trimmed = text.replace(/\s+/g, '')
  if (!trimmed.startsWith('farm')) throw P2PError.inviteInvalid("it does not start with 'farm1.'")
  if (!trimmed.startsWith(PREFIX)) {
    throw P2PError.inviteInvalid(
      `it is version '${trimmed.split('.')[0]}', this farm reads 'farm1'; update farm`,
    )
  }
  const encoded = trimmed.slice(PREFIX.length)
  if (!/^[A-Za-z0-9_-]*$/.test(encoded))
    throw P2PError.inviteInvalid('it contains characters an invite never has')
  const bytes = Buffer.from(encoded, 'base64url')
  if (bytes.length < SWARM_SECRET_BYTES + 1 + CHECKSUM_BYTES)
    throw P2PError.inviteInvalid('it is truncated (too short)')
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES)
  if (!checksum(body).equals(bytes.subarray(bytes.length - CHECKSUM_BYTES))) {
    throw P2PError.inviteInvalid('its checksum does not match, so it was truncated or altered while copying')
  }
  const secret = new Uint8Array(body.subarray(0, SWARM_SECRET_BYTES))
  const count = body[SWARM_SECRET_BYTES] ?? 0
  const addresses: string[] = []
  let at = SWARM_SECRET_BYTES + 1
  for (let i = 0; i < count; i++) {
    if (at + 2 > body.length) throw P2PError.inviteInvalid('an address is cut short')
    const len = body.readUInt16BE(at)
    const addr = body.subarray(at + 2, at + 2 + len).toString('utf8')
    at += 2 + len
    try {
      multiaddr(addr)
    } catch {
      throw P2PError.inviteInvalid(`'${addr}' is not a multiaddr`)
    }
    addresses.push(addr)
  }
  if (at !== body.length) throw P2PError.inviteInvalid('it has trailing bytes')
  return { secret, addresses }
}

function checksum(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest().subarray(0, CHECKSUM_BYTES)
}
