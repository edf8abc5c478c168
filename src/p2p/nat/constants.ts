/**
 * What one member spends relaying for the others. A relay member is a friend's machine, usually on
 * a home upload of a few MB/s: the limits keep one relayed pair from taking it over, and reset a
 * circuit often enough that a member removed from the swarm loses it soon. libp2p's own defaults
 * (128 KiB and 2 minutes) only carry a hole-punching handshake; a farm's relayed members must
 * also work when no punch succeeds, so the ledger, scene archives and frames go through too.
 */

/**
 * Bytes one relayed connection may carry (both ways, as the relay counts them) before the relay
 * resets it: a scene archive of a few hundred MB fits, and a larger transfer is cut, redialled
 * by the member's keep-alive, and its blob fetch resumes where it stopped, so nothing is lost.
 */
export const RELAY_DATA_LIMIT_BYTES = 512 << 20

/**
 * How long one relayed connection may stay open: enough for hole punching to be tried and for a
 * heavy frame to arrive; short enough that a new circuit, which asks the relay's gater again,
 * replaces every old one within half an hour.
 */
export const RELAY_DURATION_LIMIT_MS = 30 * 60_000

/**
 * Members one member relays for at once: a home upload shared by more would give each too little,
 * and a swarm of friends and a few rented workers is smaller than this.
 */
export const RELAY_MAX_RESERVATIONS = 32
