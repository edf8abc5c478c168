import { KEEP_ALIVE } from '@libp2p/interface'

export const SYNC_PROTOCOL = '/farm/sync/1'
export const BLOB_PROTOCOL = '/farm/blob/1'
/** The one protocol a stranger may speak: it presents its invite there (the farm part answers). */
export const ADMIT_PROTOCOL = '/farm/admit/1'
export const GOSSIP_TOPIC = 'farm/entries/1'
export const GOSSIP_MESSAGE_BYTES = 256 << 10

/** Every read on a protocol stream waits at most this long: a silent peer must not pin a stream. */
export const READ_TIMEOUT_MS = 15_000
export const DIAL_TIMEOUT_MS = 10_000
export const SYNC_INTERVAL_MS = 30_000
export const PING_INTERVAL_MS = 10_000

/**
 * libp2p's reconnect queue redials a lost peer tagged with this (its KEEP_ALIVE prefix, our own
 * suffix so no other component removes it), but gives up after a try and 5 retries (about 30 s).
 */
export const MEMBER_TAG = `${KEEP_ALIVE}-farm-member`
/** The value libp2p's bootstrap discovery gives its peers: the connection pruner keeps members as long. */
export const MEMBER_TAG_VALUE = 50
/**
 * A node connected to no one dials the members it remembers again, first after this long, then
 * twice as long each round: a member that restarts is back within seconds.
 */
export const MEMBER_REDIAL_FIRST_MS = 1_000
/**
 * The longest wait between rounds, the period `farm capture --share` used to redial on its own:
 * a Pi back on its network meets its backup within half a minute, and a node alone for hours
 * still dials each remembered member at most twice a minute.
 */
export const MEMBER_REDIAL_MAX_MS = 30_000

/** One sync message carries at most this much entry data; the length prefix refuses anything larger. */
export const SYNC_BATCH_BYTES = 1 << 20
export const SYNC_BATCH_ENTRIES = 2_000
export const MAX_SYNC_MESSAGE_BYTES = 4 << 20
/** Batches a sync sender may have unacknowledged: enough to keep loopback busy, bounded memory. */
export const SYNC_CREDIT_BATCHES = 4

/**
 * The blob bytes one message carries: an asker names the size it wants (`chunk` in its request,
 * BLOB_CHUNK_BYTES), a holder sends that, between these bounds. One 1 MB message costs less CPU
 * than four of 256 kB at both ends (fewer reads, writes, events and acks: 10-15 % of a transfer
 * here). An asker that names none gets the legacy size: older farms refuse larger messages.
 */
export const BLOB_CHUNK_BYTES = 1 << 20
export const BLOB_CHUNK_BYTES_LEGACY = 256 << 10
export const MAX_BLOB_MESSAGE_BYTES = BLOB_CHUNK_BYTES + 1024
/** V8's old generation may grow to (1 + this/100) times the live heap while a blob moves (withHeapRoom). */
export const BLOB_HEAP_GROWING_PERCENT = 200
/** Bytes a blob holder may send beyond what the asker acknowledged having written to disk. */
export const BLOB_CREDIT_BYTES = 8 << 20

export const IDENTITY_FILE = 'identity.key'
export const SWARM_KEY_FILE = 'swarm.key'
export const GENESIS_FILE = 'genesis'

/**
 * Blob transfers are the bulk traffic: yamux's defaults (64 KB frames, a 256 KB first window)
 * made a fetch wait on window updates; the protocols' own credit bounds memory either way.
 */
export const YAMUX_FRAME_BYTES = 256 << 10
export const YAMUX_INITIAL_WINDOW_BYTES = 4 << 20
export const YAMUX_MAX_WINDOW_BYTES = 16 << 20

/** A query (request or answer) of the protocols parts above p2p add with `Swarm.answer`. */
export const MAX_QUERY_BYTES = 1 << 20
