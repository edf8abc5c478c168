/**
 * What one peer may cost this node. Every bound is a named constant with its reason; a peer
 * over a flood bound is disconnected, logged and refused for FLOOD_COOLDOWN_MS.
 */

/**
 * One sync session: at most this many batches (400k entries at 2,000 a batch), this many bytes,
 * this long. A session ends cleanly at a bound and the next one starts at once from the clocks,
 * so a cold sync of any size still completes; the bound is what one peer can make this node
 * ingest before it looks again at whether that peer is still a member (each session starts
 * there), and how long one peer can hold a stream.
 */
export const SYNC_SESSION_BATCHES = 200
export const SYNC_SESSION_BYTES = 128 << 20
export const SYNC_SESSION_MS = 60_000

/**
 * Sync sessions a peer may start with this node: an honest peer starts one when it connects,
 * every 30 s, when gossip shows a gap, when a bounded session has more, and each time `farm
 * ledger` runs on it (a `watch -n1 farm ledger` is one a second). A session over the bound is
 * refused before it reads anything, so a peer opening them in a loop costs next to nothing; it
 * is not a flood, and the peer stays connected.
 */
export const SYNC_SESSIONS_PER_MINUTE = 60
export const SYNC_SESSION_BURST = 60

/**
 * Entries an author may add to its feed, by its own clock (the entries' `ts`), whoever relays
 * them and whenever they arrive: 100 a second sustained is 2.5x the busiest honest feed the farm
 * has (a stitcher verifying the one-second frames of 40 workers), and the burst covers a batch
 * written at once (a Pi announcing a backlog of captures). History written at honest rates never
 * trips it, however fast a node catches up on it; a relay is never blamed for another's entries.
 */
export const FLOOD_ENTRIES_PER_MINUTE = 6_000
export const FLOOD_ENTRY_BURST = 20_000

/**
 * Gossip bytes a peer may push: gossip is new entries only (history comes by sync), a few KB a
 * second in a busy swarm; 16 MiB a minute is far above that and far below what a flood needs.
 */
export const FLOOD_GOSSIP_BYTES_PER_MINUTE = 16 << 20
export const FLOOD_GOSSIP_BYTE_BURST = 32 << 20

/** How long a flooding peer is refused after it is disconnected: reconnecting buys it nothing. */
export const FLOOD_COOLDOWN_MS = 10 * 60_000

/**
 * Members' addresses dialled to complete the mesh (from what peers' syncs offer), across all
 * peers: a new node meets a 16-node swarm at once and a bigger one within a minute, and no
 * peer's list can make this node dial in a loop.
 */
export const MEET_DIALS_PER_MINUTE = 60
export const MEET_DIAL_BURST = 16

/**
 * A stranger (a peer no admit names, as far as this node's ledger knows) may stay connected
 * this long, speaking only /farm/admit/1: one exchange and the admit's gossip, with margin for a
 * slow Pi. After it, it is refused for STRANGER_RETRY_MS, so a key holder with no admission
 * costs each member one window a minute; at most MAX_STRANGERS are connected at once, enough for
 * a studio's machines joining together, few enough that sybil ids hold little.
 */
export const ADMISSION_WINDOW_MS = 30_000
export const STRANGER_RETRY_MS = 60_000
export const MAX_STRANGERS = 8

/** A token bucket: `burst` at once, refilled at `perMinute`. Pure but for the injected clock. */
export class TokenBucket {
  private tokens: number
  private at: number
  private readonly perMs: number
  private readonly burst: number
  private readonly now: () => number

  constructor(perMinute: number, burst: number, now: () => number = Date.now) {
    this.perMs = perMinute / 60_000
    this.burst = burst
    this.tokens = burst
    this.now = now
    this.at = now()
  }

  /** Takes `n` tokens at time `at` (default the clock's now); false (taking none) when fewer are left. */
  take(n = 1, at = this.now()): boolean {
    this.refill(at)
    if (n > this.tokens) return false
    this.tokens -= n
    return true
  }

  /** A time before the last one refills nothing: a bucket on entry timestamps never runs back. */
  private refill(at = this.now()): void {
    if (at <= this.at) return
    this.tokens = Math.min(this.burst, this.tokens + (at - this.at) * this.perMs)
    this.at = at
  }
}

type Meter = 'entries' | 'gossip' | 'sessions'

const METERS: Record<Meter, { perMinute: number; burst: number; what: string }> = {
  entries: {
    perMinute: FLOOD_ENTRIES_PER_MINUTE,
    burst: FLOOD_ENTRY_BURST,
    what: `entries to its own feed beyond ${FLOOD_ENTRY_BURST} at once and ${FLOOD_ENTRIES_PER_MINUTE} a minute`,
  },
  gossip: {
    perMinute: FLOOD_GOSSIP_BYTES_PER_MINUTE,
    burst: FLOOD_GOSSIP_BYTE_BURST,
    what: `gossip beyond ${FLOOD_GOSSIP_BYTE_BURST >> 20} MiB at once and ${FLOOD_GOSSIP_BYTES_PER_MINUTE >> 20} MiB a minute`,
  },
  sessions: {
    perMinute: SYNC_SESSIONS_PER_MINUTE,
    burst: SYNC_SESSION_BURST,
    what: `sync sessions beyond ${SYNC_SESSION_BURST} at once and ${SYNC_SESSIONS_PER_MINUTE} a minute`,
  },
}

/** Buckets kept, the least recently used forgotten first: bounded memory whatever peers come and go. */
const MAX_METERED_PEERS = 256

/** What each peer spends, per meter; `spend` names the bound a peer went over. */
export class PeerMeters {
  private readonly buckets = new Map<string, TokenBucket>()
  private readonly now: () => number

  constructor(now: () => number = Date.now) {
    this.now = now
  }

  /**
   * Spends `n` of `meter` for `peer` at `at` (default now: an entry's `ts` meters an author by its
   * own clock); the bound it went over, if it did.
   */
  spend(meter: Meter, peer: string, n = 1, at = this.now()): string | undefined {
    if (n <= 0) return undefined
    const key = `${meter} ${peer}`
    let bucket = this.buckets.get(key)
    if (bucket) this.buckets.delete(key)
    else {
      const { perMinute, burst } = METERS[meter]
      bucket = new TokenBucket(perMinute, burst, () => at)
      const oldest = this.buckets.keys().next()
      if (this.buckets.size >= MAX_METERED_PEERS && !oldest.done) this.buckets.delete(oldest.value)
    }
    this.buckets.set(key, bucket)
    return bucket.take(n, at) ? undefined : METERS[meter].what
  }
}
