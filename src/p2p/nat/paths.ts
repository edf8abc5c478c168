import type { Multiaddr } from '@multiformats/multiaddr'
import { isRelayed, type PeerPath } from './reach.ts'

/** What the path of a connection is read from. */
export interface PathConnection {
  readonly remoteAddr: Multiaddr
}

/**
 * The path of every connection: relayed when its address runs through a relay, hole-punched when
 * it opened while a relayed connection to the same peer was open (DCUtR's upgrade, and the only
 * thing that dials a peer this node is already connected to), direct otherwise.
 */
export class Paths {
  private readonly punched = new WeakSet<PathConnection>()

  /**
   * Call on every new connection, with the peer's connections (the new one among them). True
   * when it is an upgrade of a relayed connection.
   */
  opened(conn: PathConnection, ofPeer: readonly PathConnection[]): boolean {
    if (isRelayed(conn.remoteAddr) || !ofPeer.some((c) => c !== conn && isRelayed(c.remoteAddr))) return false
    this.punched.add(conn)
    return true
  }

  pathOf(conn: PathConnection): PeerPath {
    if (isRelayed(conn.remoteAddr)) return 'relayed'
    return this.punched.has(conn) ? 'hole-punched' : 'direct'
  }

  /** The connection streams should use: a direct one if the peer has any, else the first. */
  best<C extends PathConnection>(ofPeer: readonly C[]): C | undefined {
    return ofPeer.find((c) => !isRelayed(c.remoteAddr)) ?? ofPeer[0]
  }
}

/**
 * The peers to ask for a blob, in order. Without a wanted peer: every connected one, those with
 * a direct path first. With one: that peer, unless only a relay reaches it; then the directly
 * connected peers come first (one that lacks the blob says so in a round trip), the wanted last.
 */
export function fetchOrder(
  wanted: string | undefined,
  connected: readonly { id: string; path: PeerPath }[],
): string[] {
  const direct = connected.filter((p) => p.path !== 'relayed').map((p) => p.id)
  const relayed = connected.filter((p) => p.path === 'relayed').map((p) => p.id)
  if (wanted === undefined) return [...direct, ...relayed]
  if (!relayed.includes(wanted)) return [wanted]
  return [...direct, wanted]
}
