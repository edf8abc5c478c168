import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Level } from 'level'
import type { BodyOf, EntryBody, EntryType } from './bodies.ts'
import { isEntryType } from './bodies.ts'
import { MAX_CLOCK_SKEW_MS } from './clock.ts'
import type { DecodedEntry, Entry, SigningEntry } from './entry.ts'
import {
  canonicalBody,
  decodeEntries,
  ENTRY_VERSION,
  finishEntries,
  readStoredEntry,
  sameEntry,
  startEntry,
} from './entry.ts'
import { LedgerError, type LedgerErrorCode } from './errors.ts'
import type { MoneyEvent, Touched } from './fold.ts'
import {
  adoptOrphan,
  applyEntry,
  applyMoney,
  jobOfEntry,
  MemoryFold,
  membershipOf,
  resetMoney,
  touchedNothing,
} from './fold.ts'
import { forkedAt, forkedAuthors, recordAll, standingsOf } from './membership.ts'
import type { Clock, FarmState, FrameRecord, JobRecord } from './state.ts'
import { emptyState, STATE_VERSION } from './state.ts'
import type { Head } from './store.ts'
import * as store from './store.ts'

export interface IngestResult {
  /** Entries newly applied. */
  accepted: number
  /** Already held: ignored, not an error. */
  duplicates: number
  /** Authors whose entries wait for earlier seqs: the caller should sync with whoever sent them. */
  held: string[]
  /** Invalid entries: the sender misbehaved. */
  refused: LedgerRefusal[]
  /**
   * Authors this batch showed forking their feed (another version of an entry held, or one not
   * chaining to it): no fault of the sender, which may only relay them. The proof is written to
   * this node's feed, so every node learns it.
   */
  forks: string[]
  /** Entries of a forked author from its forked seq on that are not in this node's branch: dropped. */
  ignored: number
  /**
   * Entries newly applied, by author, and the newest `ts` among them: what lets the swarm tell an
   * author that writes faster than any honest node, by the author's own clock.
   */
  acceptedBy: Record<string, { entries: number; ts: number }>
}

export interface LedgerRefusal {
  code: LedgerErrorCode
  message: string
  author?: string
  seq?: number
}

export interface MissingOptions {
  maxBatchBytes?: number
  maxBatchEntries?: number
}

export type EntriesListener = (entries: Entry[], encoded: Uint8Array[], origin: 'local' | 'remote') => void

export interface OpenLedgerOptions {
  path: string
  privateKey: PrivateKey
  /** Wall clock for entry timestamps; injected so tests control lease times. */
  now?: () => number
  /**
   * Peer ids whose grants count (the swarm's founder), and the roots of membership: with it, only
   * admitted authors' entries count (membership.ts); without it every grant and author counts.
   */
  genesis?: readonly string[]
}

const DEFAULT_BATCH_BYTES = 1024 * 1024
const DEFAULT_BATCH_ENTRIES = 1000
/** Entries received ahead of a gap wait here until the gap is filled; beyond this they are dropped (a sync resends them). */
const MAX_HELD_ENTRIES = 10_000
/**
 * Held entries of one author: two sync batches (2,000 entries each), so one feed's gap, or one
 * author writing entries dated ahead, cannot take the room the others' gaps need.
 */
const MAX_HELD_PER_AUTHOR = 4_000
/**
 * How long an entry is held: a gap is filled by the sync gossip asks for within seconds, and a
 * dated-ahead entry comes again with the next sync; so nobody's entries fill memory for good.
 */
const HELD_TTL_MS = 5 * 60_000

type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }

/** Entries admitted by one ingest or append, not yet committed, and the heads they make. */
interface Pending {
  decoded: DecodedEntry[]
  byKey: Map<string, DecodedEntry>
  heads: Map<string, Head>
  /** Nodes the pending `admit` entries name: their feeds may be stored from now on. */
  named: Set<string>
  /** Fork proofs found in this batch, by author: written to this node's feed after it. */
  forks: Map<string, BodyOf['fork']>
}

function addPending(pending: Pending, d: DecodedEntry) {
  pending.decoded.push(d)
  pending.byKey.set(store.entryKey(d.entry.author, d.entry.seq), d)
  pending.heads.set(d.entry.author, headOf(d))
  if (d.entry.type === 'admit') pending.named.add((d.entry.body as BodyOf['admit']).node)
}

function emptyPending(): Pending {
  return { decoded: [], byKey: new Map(), heads: new Map(), named: new Set(), forks: new Map() }
}

export class Ledger {
  readonly author: string
  readonly path: string
  readonly #db: Level<string, Uint8Array>
  readonly #privateKey: PrivateKey
  readonly #now: () => number
  readonly #genesis: readonly string[] | undefined
  readonly #heads = new Map<string, Head>()
  readonly #held = new Map<string, Map<number, { d: DecodedEntry; until: number }>>()
  #heldCount = 0
  /** Wakes when the earliest entry held for its `ts` comes within the skew. */
  #dueTimer: ReturnType<typeof setTimeout> | undefined
  #dueAt = Number.POSITIVE_INFINITY
  readonly #listeners = new Set<EntriesListener>()
  #state: FarmState
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(opts: OpenLedgerOptions) {
    if (opts.privateKey.type !== 'Ed25519') {
      throw LedgerError.BAD_ARGUMENT(
        `the ledger signs with an Ed25519 key, not ${opts.privateKey.type}: use the node's identity key`,
      )
    }
    this.path = opts.path
    this.#privateKey = opts.privateKey
    this.#now = opts.now ?? Date.now
    this.#genesis = opts.genesis
    this.#state = emptyState(opts.genesis)
    this.author = peerIdFromPrivateKey(opts.privateKey).toString()
    this.#db = new Level<string, Uint8Array>(opts.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  }

  async open(): Promise<void> {
    try {
      await this.#db.open()
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED') throw LedgerError.LOCKED(this.path)
      throw err
    }
    await this.#load()
  }

  /** The folded state. Treat it as read-only: it is the ledger's own copy, updated in place. */
  state(): FarmState {
    return this.#state
  }

  /** Authors a fork proof held shows forking their feed; none of their entries count from the forked seq on. */
  forks(): string[] {
    return forkedAuthors(this.#state.membership)
  }

  async clock(): Promise<Clock> {
    const clock: Clock = {}
    for (const [author, head] of this.#heads) clock[author] = head.seq
    return clock
  }

  /** Signs and stores a new entry in this node's feed, folds it and tells listeners. */
  append<T extends EntryType>(type: T, body: BodyOf[T]): Promise<Entry<T>> {
    return this.#serial(async () => {
      const [entry] = await this.#appendMany([{ type, body }])
      return entry as Entry<T>
    })
  }

  /** Appends several entries in one atomic write: one fsync, one notification. */
  appendBatch(items: { type: EntryType; body: EntryBody }[]): Promise<Entry[]> {
    return this.#serial(() => this.#appendMany(items))
  }

  async #appendMany(items: { type: EntryType; body: EntryBody }[]): Promise<Entry[]> {
    const head = this.#heads.get(this.author)
    let seq = head?.seq ?? 0
    let prev = head?.hash ?? null
    let lamport = this.#state.lamport
    // Never below the Lamport clocks it signs (entry.ts refuses those): after a peer's entry
    // dated at the edge of the skew, this node's entries are dated a little ahead too.
    const ts = Math.max(Math.floor(this.#now()), head?.ts ?? 0, lamport + items.length)
    const started: SigningEntry[] = []
    for (const { type, body } of items) {
      if (!isEntryType(type)) throw LedgerError.UNKNOWN_TYPE(type, {})
      seq += 1
      lamport += 1
      const fields = {
        v: ENTRY_VERSION,
        author: this.author,
        seq,
        prev,
        lamport,
        ts,
        type,
        body: canonicalBody(type, body),
      }
      const entry = startEntry(fields, this.#privateKey)
      started.push(entry)
      prev = entry.hash
    }
    const decoded = await finishEntries(started)
    const heads = new Map<string, Head>()
    const last = decoded.at(-1)
    if (last) heads.set(this.author, headOf(last))
    await this.#commit({ ...emptyPending(), decoded, heads }, 'local')
    // An admit written here may name a feed held back for want of one.
    const named = items.flatMap((item) =>
      item.type === 'admit' ? [(item.body as BodyOf['admit']).node] : [],
    )
    if (this.#held.size > 0 && named.length > 0) await this.#ingest([], named)
    return decoded.map((d) => d.entry)
  }

  /** Verifies and applies entries received from a peer; nothing invalid changes state. */
  async ingest(encoded: Uint8Array[]): Promise<IngestResult> {
    if (this.#closed) throw LedgerError.CLOSED()
    // Decoding and signatures need no store state, so they start now and overlap other work; the
    // place in the queue is taken now too, so batches apply in the order they were handed in even
    // when a later one verifies first (else its entries would be held behind a gap that is not one).
    // A seq already held is most likely a duplicate: its signature is checked only if it is not.
    const decoding = decodeEntries(encoded, (author, seq) => seq <= (this.#heads.get(author)?.seq ?? 0))
    decoding.catch(() => {})
    return this.#serial(async () => this.#ingest(await decoding))
  }

  /**
   * Ingests a stream of batches (a sync), decoding and verifying the next batch while the
   * previous one is written: the two cores then both have work. Batches are applied in order.
   */
  async ingestStream(batches: AsyncIterable<Uint8Array[]>): Promise<IngestResult> {
    const total: IngestResult = {
      accepted: 0,
      duplicates: 0,
      held: [],
      refused: [],
      acceptedBy: {},
      forks: [],
      ignored: 0,
    }
    const add = (result: IngestResult) => {
      total.accepted += result.accepted
      total.duplicates += result.duplicates
      total.refused.push(...result.refused)
      total.held = result.held
      total.forks.push(...result.forks)
      total.ignored += result.ignored
      for (const [author, { entries, ts }] of Object.entries(result.acceptedBy)) {
        const sum = total.acceptedBy[author] ?? { entries: 0, ts }
        total.acceptedBy[author] = { entries: sum.entries + entries, ts: Math.max(sum.ts, ts) }
      }
    }
    const inFlight: Promise<IngestResult>[] = []
    try {
      for await (const batch of batches) {
        inFlight.push(this.ingest(batch))
        if (inFlight.length > 1) add(await inFlight.shift()!)
      }
      while (inFlight.length > 0) add(await inFlight.shift()!)
    } finally {
      await Promise.allSettled(inFlight)
    }
    return total
  }

  /** `named`: nodes admits of this node's own just named, whose held feeds may apply now. */
  async #ingest(
    decoded: (DecodedEntry | LedgerError)[],
    named: string[] = [],
    allHeld = false,
  ): Promise<IngestResult> {
    const result: IngestResult = {
      accepted: 0,
      duplicates: 0,
      held: [],
      refused: [],
      acceptedBy: {},
      forks: [],
      ignored: 0,
    }
    const byAuthor = new Map<string, DecodedEntry[]>()
    for (const d of decoded) {
      if (d instanceof LedgerError) {
        result.refused.push(refusalOf(d))
        continue
      }
      const list = byAuthor.get(d.entry.author)
      if (list) list.push(d)
      else byAuthor.set(d.entry.author, [d])
    }
    const pending = emptyPending()
    const now = this.#now()
    this.#expireHeld(now)
    for (const [author, list] of byAuthor) {
      list.sort((a, b) => a.entry.seq - b.entry.seq)
      for (const d of list) {
        const outcome = await this.#admit(d, pending, now)
        if (outcome === 'accepted') result.accepted += 1
        else if (outcome === 'duplicate') result.duplicates += 1
        else if (outcome === 'ignored') result.ignored += 1
        else if (outcome === 'forked') result.forks.push(author)
        else if (outcome === 'held') this.#hold(d, now)
        else result.refused.push(refusalOf(outcome))
      }
      result.accepted += this.#drainHeld(author, pending, now)
    }
    if (allHeld)
      for (const author of [...this.#held.keys()]) result.accepted += this.#drainHeld(author, pending, now)
    result.accepted += this.#drainNamed(pending, named, now)
    result.held = this.#gaps(pending)
    if (pending.decoded.length > 0 || pending.forks.size > 0) await this.#commit(pending, 'remote')
    for (const { entry } of pending.decoded) {
      const by = result.acceptedBy[entry.author] ?? { entries: 0, ts: entry.ts }
      result.acceptedBy[entry.author] = { entries: by.entries + 1, ts: Math.max(by.ts, entry.ts) }
    }
    // The proofs go in this node's own feed: stored, gossiped and synced like any entry.
    if (pending.forks.size > 0)
      await this.#appendMany([...pending.forks.values()].map((body) => ({ type: 'fork' as const, body })))
    return result
  }

  async #admit(
    d: DecodedEntry,
    pending: Pending,
    now: number,
  ): Promise<'accepted' | 'duplicate' | 'held' | 'ignored' | 'forked' | LedgerError> {
    const { author, seq } = d.entry
    const at = { author, seq }
    const head = pending.heads.get(author) ?? this.#heads.get(author)
    const headSeq = head?.seq ?? 0
    if (seq > headSeq + 1) return 'held'
    if (seq <= headSeq) {
      const stored = await this.#stored(author, seq, pending)
      if (!stored || sameEntry(stored, d)) return 'duplicate'
      if (d.unverified && !d.unverified()) return LedgerError.BAD_SIGNATURE(at)
      return this.#forkFound(author, seq, stored, d, pending)
    }
    if (head && (!d.entry.prev || Buffer.compare(d.entry.prev, head.hash) !== 0)) {
      // Signed by the author, not chaining to what it signed before: the author forked, whoever relays it.
      const stored = await this.#stored(author, headSeq, pending)
      if (!stored) return LedgerError.BAD_PREV(at)
      return this.#forkFound(author, headSeq, stored, d, pending)
    }
    const problem = chainProblem(d, head)
    if (problem) return problem
    // Dated ahead of this node's clock: held until it is not (clock.ts MAX_CLOCK_SKEW_MS).
    if (d.entry.ts > now + MAX_CLOCK_SKEW_MS) return 'held'
    // A feed no admit names is not stored: held until one arrives (or dropped with the held).
    if (!this.#named(author, pending)) return 'held'
    addPending(pending, d)
    return 'accepted'
  }

  async #stored(author: string, seq: number, pending: Pending): Promise<Uint8Array | undefined> {
    const key = store.entryKey(author, seq)
    return pending.byKey.get(key)?.encoded ?? (await this.#db.get(key))
  }

  /**
   * `ours` (held at `seq`) and `theirs` cannot both be in the author's feed. A proof lower than
   * any known is kept for this node's feed; entries past a known fork are dropped quietly.
   */
  #forkFound(
    author: string,
    seq: number,
    ours: Uint8Array,
    theirs: DecodedEntry,
    pending: Pending,
  ): 'forked' | 'ignored' {
    const known = Math.min(
      forkedAt(this.#state.membership, author) ?? Number.POSITIVE_INFINITY,
      pending.forks.get(author)?.seq ?? Number.POSITIVE_INFINITY,
    )
    if (known <= seq) return 'ignored'
    pending.forks.set(author, { author, seq, a: ours, b: theirs.encoded })
    return 'forked'
  }

  #named(author: string, pending: Pending): boolean {
    return (
      author === this.author || pending.named.has(author) || standingsOf(this.#state.membership).named(author)
    )
  }

  /** Applies the held feeds of nodes admits named (pending ones, or `named`); what they hold may name more. */
  #drainNamed(pending: Pending, named: string[], now: number): number {
    let applied = 0
    const done = new Set<string>()
    for (let next = [...named, ...pending.named]; next.length > 0; ) {
      for (const author of next) {
        done.add(author)
        if (this.#held.has(author)) applied += this.#drainHeld(author, pending, now)
      }
      next = [...pending.named].filter((author) => !done.has(author))
    }
    return applied
  }

  /** Authors whose held entries wait for a gap a sync fills: not those waiting for their `ts`. */
  #gaps(pending: Pending): string[] {
    const gaps: string[] = []
    for (const [author, feed] of this.#held) {
      const next = ((pending.heads.get(author) ?? this.#heads.get(author))?.seq ?? 0) + 1
      if (!feed.has(next) || !this.#named(author, pending)) gaps.push(author)
    }
    return gaps.sort()
  }

  #hold(d: DecodedEntry, now: number) {
    if (this.#heldCount >= MAX_HELD_ENTRIES) return
    let feed = this.#held.get(d.entry.author)
    if (!feed) {
      feed = new Map()
      this.#held.set(d.entry.author, feed)
    }
    if (!feed.has(d.entry.seq)) {
      if (feed.size >= MAX_HELD_PER_AUTHOR) return
      this.#heldCount += 1
    }
    feed.set(d.entry.seq, { d, until: now + HELD_TTL_MS })
    if (d.entry.ts > now + MAX_CLOCK_SKEW_MS) this.#wakeAt(d.entry.ts - MAX_CLOCK_SKEW_MS, now)
  }

  /** Held entries expire: a sync brings them again if they are still wanted. */
  #expireHeld(now: number) {
    for (const [author, feed] of this.#held) {
      for (const [seq, held] of feed) {
        if (held.until > now) continue
        feed.delete(seq)
        this.#heldCount -= 1
      }
      if (feed.size === 0) this.#held.delete(author)
    }
  }

  /** Applies the entries held for their `ts` once it is within the skew (within their time held). */
  #wakeAt(at: number, now: number) {
    const when = Math.min(at, now + HELD_TTL_MS)
    if (this.#closed || when >= this.#dueAt) return
    if (this.#dueTimer) clearTimeout(this.#dueTimer)
    this.#dueAt = when
    this.#dueTimer = setTimeout(
      () => {
        this.#dueTimer = undefined
        this.#dueAt = Number.POSITIVE_INFINITY
        if (this.#closed) return
        this.#serial(() => this.#ingest([], [], true)).catch((err) =>
          process.emitWarning(`ledger: applying held entries failed: ${(err as Error).message}`),
        )
      },
      Math.max(0, when - now) + 1,
    )
    this.#dueTimer.unref?.()
  }

  /** Applies held entries of `author` that now follow its head; returns how many. */
  #drainHeld(author: string, pending: Pending, now: number): number {
    const feed = this.#held.get(author)
    if (!feed || !this.#named(author, pending)) return 0
    let applied = 0
    for (;;) {
      const headSeq = (pending.heads.get(author) ?? this.#heads.get(author))?.seq ?? 0
      for (const seq of feed.keys()) {
        if (seq <= headSeq) {
          feed.delete(seq)
          this.#heldCount -= 1
        }
      }
      const next = feed.get(headSeq + 1)?.d
      if (!next) break
      if (next.entry.ts > now + MAX_CLOCK_SKEW_MS) {
        this.#wakeAt(next.entry.ts - MAX_CLOCK_SKEW_MS, now)
        break
      }
      feed.delete(headSeq + 1)
      this.#heldCount -= 1
      // A held entry that does not chain was sent by a peer that misbehaved earlier; the sync that
      // filled the gap brings the real one.
      if (chainProblem(next, pending.heads.get(author) ?? this.#heads.get(author))) break
      addPending(pending, next)
      applied += 1
    }
    if (feed.size === 0) this.#held.delete(author)
    return applied
  }

  /** One atomic LevelDB batch per append or received batch: entries, heads, money index and folded state. */
  async #commit(pending: Pending, origin: 'local' | 'remote') {
    const ops: BatchOp[] = []
    const touched = touchedNothing()
    const money: MoneyEvent[] = []
    // Membership first, so the whole batch folds under it; entries folded before it may need a re-fold.
    const refold = recordAll(
      this.#state.membership,
      pending.decoded.map((d) => d.entry),
      () => new Map([...this.#heads].map(([author, head]) => [author, head.seq])),
    )
    // Cleared in the same write, so a crash before the re-fold re-folds at the next open.
    if (refold) ops.push({ type: 'del', key: store.VERSION_KEY })
    try {
      const batchOrphans = new Map<string, Entry>()
      for (const d of pending.decoded) {
        ops.push({ type: 'put', key: store.entryKey(d.entry.author, d.entry.seq), value: d.encoded })
        await this.#fold(d.entry, touched, money, ops, batchOrphans)
      }
      if (money.length > 0) await this.#foldMoney(money, touched)
      for (const [author, head] of pending.heads) {
        this.#heads.set(author, head)
        ops.push({ type: 'put', key: store.headKey(author), value: store.encode(head) })
      }
      ops.push(...this.#stateOps(touched))
      await this.#db.batch(ops)
      if (refold) await this.#refold()
    } catch (err) {
      // Memory ran ahead of the store: go back to what the store holds, which is consistent.
      await this.#load()
      throw err
    }
    if (pending.decoded.length > 0) {
      const entries = pending.decoded.map((d) => d.entry)
      const encoded = pending.decoded.map((d) => d.encoded)
      for (const listener of this.#listeners) {
        try {
          listener(entries, encoded, origin)
        } catch (err) {
          process.emitWarning(`ledger listener failed: ${err instanceof Error ? err.message : String(err)}`)
        }
      }
    }
  }

  /**
   * Folds one entry. One about a job not folded yet is set aside in the store (an empty key);
   * a job entry folds what was set aside for it, each feed's in seq order (fold.ts aboutUnknownJob).
   */
  async #fold(
    entry: Entry,
    touched: Touched,
    money: MoneyEvent[],
    ops: BatchOp[],
    batchOrphans: Map<string, Entry>,
    orphan = false,
  ): Promise<void> {
    const event = (orphan ? adoptOrphan : applyEntry)(this.#state, entry, touched)
    if (event) {
      money.push(event)
      ops.push({ type: 'put', key: store.moneyKey(event.key), value: store.encodeMoney(event) })
    }
    for (const orphan of touched.orphans.splice(0)) {
      const key = store.orphanKey(jobOfEntry(orphan)!, orphan.author, orphan.seq)
      batchOrphans.set(key, orphan)
      ops.push({ type: 'put', key, value: new Uint8Array(0) })
    }
    if (entry.type !== 'job' || !this.#state.jobs[entry.hash]?.spec) return
    const keys: string[] = []
    for await (const key of this.#db.keys(store.orphansOf(entry.hash))) keys.push(key)
    for (const key of batchOrphans.keys()) if (key.startsWith(store.orphansOf(entry.hash).gte)) keys.push(key)
    for (const key of [...new Set(keys)].sort()) {
      let orphan = batchOrphans.get(key)
      if (!orphan) {
        const [author, seq] = key.slice(store.orphansOf(entry.hash).gte.length).split('!') as [string, string]
        const value = await this.#db.get(store.entryKey(author, Number(seq)))
        if (!value) continue
        orphan = readStoredEntry(value)
      }
      batchOrphans.delete(key)
      ops.push({ type: 'del', key })
      await this.#fold(orphan, touched, money, ops, batchOrphans, true)
    }
  }

  /** Money folds in total order: in place when the new events all sort last, else re-folded from the index. */
  async #foldMoney(money: MoneyEvent[], touched: Touched) {
    const cursor = this.#state.moneyCursor
    if (money.every((event) => event.key > cursor)) {
      applyMoney(this.#state, money, touched, this.#genesis)
      return
    }
    const all = new Map<string, MoneyEvent>()
    for await (const [key, value] of this.#db.iterator(store.MONEY))
      all.set(key.slice(2), store.decodeMoney(key, value))
    for (const event of money) all.set(event.key, event)
    resetMoney(this.#state, touched)
    applyMoney(this.#state, [...all.values()], touched, this.#genesis)
  }

  #stateOps(touched: Touched) {
    const ops: BatchOp[] = []
    for (const id of touched.jobs) {
      const job = this.#state.jobs[id]
      if (job) ops.push({ type: 'put', key: store.jobKey(id), value: store.encode({ ...job, frames: {} }) })
    }
    for (const ref of touched.frames) {
      const [id, n] = ref.split('!') as [string, string]
      const frame = this.#state.jobs[id]?.frames[n]
      const key = store.frameKey(id, n)
      ops.push(frame ? { type: 'put', key, value: store.encode(frame) } : { type: 'del', key })
    }
    if (touched.misc) {
      const { jobs: _jobs, clock: _clock, ...misc } = this.#state
      ops.push({ type: 'put', key: store.MISC_KEY, value: store.encode(misc) })
    }
    return ops
  }

  /**
   * Reads heads and folded state: never the log, so opening costs the same whatever its length.
   * The one exception is a store whose state another version of the fold wrote (an upgrade):
   * that state is folded again from the log, once.
   */
  async #load() {
    this.#heads.clear()
    const state = emptyState(this.#genesis)
    for await (const [key, value] of this.#db.iterator(store.HEADS)) {
      const head = store.decode<Head>(value)
      const author = key.slice(2)
      this.#heads.set(author, head)
      state.clock[author] = head.seq
    }
    const version = await this.#db.get(store.VERSION_KEY)
    if (!version || store.decode<number>(version) !== STATE_VERSION) {
      await this.#refold()
      return
    }
    const misc = await this.#db.get(store.MISC_KEY)
    if (misc) Object.assign(state, store.decode<Omit<FarmState, 'jobs' | 'clock'>>(misc))
    else if (this.#heads.size > 0)
      throw LedgerError.CORRUPT(this.path, 'feeds are present but the folded state is not')
    if (state.membership.roots.join() !== (this.#genesis ?? []).join()) {
      // Folded under another genesis than the one it is opened with: who counts differs.
      await this.#refold()
      return
    }
    for await (const [key, value] of this.#db.iterator(store.JOBS)) {
      state.jobs[key.slice(store.JOBS.gte.length)] = store.decode<JobRecord>(value)
    }
    for await (const [key, value] of this.#db.iterator(store.FRAMES)) {
      const [id, n] = key.slice(store.FRAMES.gte.length).split('!') as [string, string]
      const job = state.jobs[id]
      if (!job) throw LedgerError.CORRUPT(this.path, `frame ${n} of job ${id} has no job record`)
      job.frames[n] = store.decode<FrameRecord>(value)
    }
    this.#state = state
  }

  /** Folds the whole log again, feed by feed, and replaces the stored state with the result in one batch. */
  async #refold() {
    let orphans: Entry[] = []
    try {
      // Who counts depends on admits in other feeds, which the log holds in author order: a first
      // pass collects every membership entry, so the second folds each feed under all of them.
      // Fork proofs too, even without a genesis: they decide which entries count.
      const membership = membershipOf(await this.#membershipEntries())
      const fold = new MemoryFold({ genesis: this.#genesis, membership })
      for await (const value of this.#db.values(store.ENTRIES)) fold.add(readStoredEntry(value))
      this.#state = fold.state()
      orphans = fold.orphans()
    } catch (err) {
      if (err instanceof LedgerError)
        throw LedgerError.CORRUPT(this.path, `an entry cannot be read: ${err.message}`)
      throw err
    }
    const everything = touchedNothing()
    everything.misc = true
    for (const job of Object.values(this.#state.jobs)) {
      everything.jobs.add(job.id)
      for (const n of Object.keys(job.frames)) everything.frames.add(`${job.id}!${n}`)
    }
    const ops: BatchOp[] = []
    for await (const key of this.#db.keys(store.STATE)) ops.push({ type: 'del', key })
    ops.push(...this.#stateOps(everything))
    for (const orphan of orphans) {
      const key = store.orphanKey(jobOfEntry(orphan)!, orphan.author, orphan.seq)
      ops.push({ type: 'put', key, value: new Uint8Array(0) })
    }
    ops.push({ type: 'put', key: store.VERSION_KEY, value: store.encode(STATE_VERSION) })
    await this.#db.batch(ops)
  }

  async #membershipEntries(): Promise<Entry[]> {
    const entries: Entry[] = []
    for await (const value of this.#db.values(store.ENTRIES)) {
      const entry = readStoredEntry(value)
      if (entry.type === 'admit' || entry.type === 'revoke' || entry.type === 'fork') entries.push(entry)
    }
    return entries
  }

  /**
   * Entries `theirs` lacks, feed by feed in seq order, in batches bounded in bytes and count.
   * Feeds go in membership order (roots, then each in the order an admit first named it), so a
   * receiver holds the admit naming a feed before the feed arrives and never has to hold it.
   */
  async *missing(theirs: Clock, opts: MissingOptions = {}): AsyncIterable<Uint8Array[]> {
    const maxBytes = opts.maxBatchBytes ?? DEFAULT_BATCH_BYTES
    const maxEntries = opts.maxBatchEntries ?? DEFAULT_BATCH_ENTRIES
    let batch: Uint8Array[] = []
    let bytes = 0
    const standings = standingsOf(this.#state.membership)
    const authors = [...this.#heads.keys()]
      .map((author) => [standings.rank(author), author] as const)
      .sort(([ra, a], [rb, b]) => (ra < rb ? -1 : ra > rb ? 1 : a < b ? -1 : a > b ? 1 : 0))
      .map(([, author]) => author)
    for (const author of authors) {
      const head = this.#heads.get(author)
      const from = (theirs[author] ?? 0) + 1
      if (!head || from > head.seq) continue
      for await (const value of this.#db.values(store.feedRange(author, from, head.seq))) {
        if (batch.length > 0 && (batch.length >= maxEntries || bytes + value.length > maxBytes)) {
          yield batch
          batch = []
          bytes = 0
        }
        batch.push(value)
        bytes += value.length
      }
    }
    if (batch.length > 0) yield batch
  }

  onEntries(listener: EntriesListener): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#dueTimer) clearTimeout(this.#dueTimer)
    await this.#queue.catch(() => {})
    this.#listeners.clear()
    await this.#db.close()
  }

  /** Appends and ingests run one at a time: each reads the heads the previous one wrote. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(LedgerError.CLOSED())
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }
}

/** Why `d` cannot follow `head` in its feed, if it cannot. */
function chainProblem(d: DecodedEntry, head: Head | undefined): LedgerError | null {
  if (!head) return null
  const at = { author: d.entry.author, seq: d.entry.seq }
  if (!d.entry.prev || Buffer.compare(d.entry.prev, head.hash) !== 0) return LedgerError.BAD_PREV(at)
  if (d.entry.lamport <= head.lamport || d.entry.ts < head.ts) return LedgerError.BAD_LAMPORT(at)
  return null
}

function headOf(d: DecodedEntry): Head {
  return { seq: d.entry.seq, hash: hashBytes(d.entry.hash), lamport: d.entry.lamport, ts: d.entry.ts }
}

function hashBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

function refusalOf(err: unknown): LedgerRefusal {
  if (err instanceof LedgerError) {
    const refusal: LedgerRefusal = { code: err.code, message: err.message }
    if (err.author !== undefined) refusal.author = err.author
    if (err.seq !== undefined) refusal.seq = err.seq
    return refusal
  }
  return { code: 'BAD_ENCODING', message: err instanceof Error ? err.message : String(err) }
}
