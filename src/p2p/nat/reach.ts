import { getNetConfig, isPrivate } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'

/**
 * How this node reaches a peer. `hole-punched` is a direct connection opened while a relayed one
 * to the same peer was open: DCUtR's upgrade, which then closes the relayed one.
 */
export type PeerPath = 'direct' | 'relayed' | 'hole-punched'

/** `off`: never relay; `on`: always offer it; `auto`: while AutoNAT has confirmed a public address. */
export type RelayMode = 'auto' | 'on' | 'off'

/** Whether a multiaddr runs through a relay (`/p2p/RELAY/p2p-circuit/...`). */
export function isRelayed(addr: Multiaddr | string): boolean {
  return addr.toString().includes('/p2p-circuit')
}

/**
 * Whether an address is a direct one on the public internet: an IP address outside every range
 * libp2p counts as private (RFC 1918, loopback, CGNAT, link-local, documentation, ...), or a DNS
 * name other than localhost. AutoNAT and DCUtR ignore every other address, so only these make a member reachable.
 */
export function isPublicDirect(addr: Multiaddr | string): boolean {
  if (isRelayed(addr)) return false
  try {
    const ma = typeof addr === 'string' ? multiaddr(addr) : addr
    // Throws for what is no network address at all (/memory, /unix).
    getNetConfig(ma)
    return !isPrivate(ma)
  } catch {
    return false
  }
}

/** The peer id of the relay in a relayed address, the `/p2p/` just before `/p2p-circuit`. */
export function relayOf(addr: Multiaddr | string): string | undefined {
  const text = addr.toString()
  const at = text.indexOf('/p2p-circuit')
  if (at < 0) return undefined
  return /\/p2p\/([^/]+)$/.exec(text.slice(0, at))?.[1]
}

/**
 * Whether a member relays for others now, given the addresses libp2p confirms for it (only
 * verified ones: a public listen address counts once AutoNAT had a peer dial it back, a UPnP
 * mapping once it was checked the same way).
 */
export function offersRelay(mode: RelayMode, confirmed: readonly (Multiaddr | string)[]): boolean {
  if (mode !== 'auto') return mode === 'on'
  return confirmed.some((addr) => isPublicDirect(addr))
}

/** Addresses without repeats, public ones first, relayed ones next, private (LAN) ones last, each group in the given order. */
export function bestFirst(addresses: readonly string[]): string[] {
  const rank = (a: string) => (isPublicDirect(a) ? 0 : isRelayed(a) ? 1 : 2)
  return [...new Set(addresses)]
    .map((a, i) => ({ a, i }))
    .sort((x, y) => rank(x.a) - rank(y.a) || x.i - y.i)
    .map(({ a }) => a)
}

/**
 * The addresses an invite carries, bestFirst, and per member (the `/p2p/<id>` each ends with)
 * its relayed addresses only when it has no public one: a joiner dials every address it is
 * given, and a relay is the slow way.
 */
export function inviteOrder(addresses: readonly string[]): string[] {
  const publicPeers = new Set(addresses.filter((a) => isPublicDirect(a)).map(peerOf))
  return bestFirst(addresses.filter((a) => !isRelayed(a) || !publicPeers.has(peerOf(a))))
}

function peerOf(addr: string): string {
  return addr.slice(addr.lastIndexOf('/p2p/') + 5)
}
