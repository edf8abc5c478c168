import type { BodyOf, EntryType, GrantBody, VerifiedBody } from './bodies.ts'
import type { Entry } from './entry.ts'
import { counts, emptyMembership, type MembershipRecords, recordMembership } from './membership.ts'
import { outOfAttempts, renewClaim } from './rules.ts'
import type { FarmState, FrameRecord, JobRecord, Settlement } from './state.ts'
import { emptyFrame, emptyJob, emptyState, isEmptyFrame, orderKey } from './state.ts'

/**
 * The fold: plain functions from entries to FarmState.
 *
 * Everything but money is commutative (maps keyed by author, counters, maxima with a total-order
 * tie-break), so it is applied as entries arrive, in any order across authors; within one feed,
 * entries always come in seq order. Money is not commutative (a payment is refused when the payer
 * cannot afford it), so money entries are folded in total order (lamport, author, seq): the ledger
 * re-folds money from its money index when an entry arrives that sorts before ones already folded.
 */

/** Which persisted pieces a fold step changed: a job's header, single frames (`<job>!<frame>`), the rest. */
export interface Touched {
  jobs: Set<string>
  frames: Set<string>
  misc: boolean
}

export function touchedNothing(): Touched {
  return { jobs: new Set(), frames: new Set(), misc: false }
}

export interface MoneyEvent {
  key: string
  author: string
  /** `job` entries decide which payments count, so one arriving late re-folds money too. */
  type: 'grant' | 'verified' | 'job'
  body: GrantBody | VerifiedBody | null
}

/** Applies the commutative part of one entry; returns the money event it carries, if any. */
export function applyEntry(state: FarmState, entry: Entry, touched: Touched): MoneyEvent | null {
  const { author, seq } = entry
  state.clock[author] = seq
  if (entry.lamport > state.lamport) state.lamport = entry.lamport
  touched.misc = true
  recordMembership(state.membership, entry)
  if (!counts(state.membership, author, seq)) return null
  const key = orderKey(entry.lamport, author, seq)
  switch (entry.type) {
    case 'node': {
      const body = entry.body as BodyOf['node']
      state.nodes[author] = { ...body, seq, ts: entry.ts }
      return null
    }
    case 'job': {
      const job = jobFor(state, entry.hash, touched)
      job.author = author
      job.spec = entry.body as BodyOf['job']
      job.seq = seq
      job.lamport = entry.lamport
      job.ts = entry.ts
      settle(job, touched)
      return { key, author, type: 'job', body: null }
    }
    case 'accept': {
      const job = jobFor(state, (entry.body as BodyOf['accept']).job, touched)
      job.accepted[author] ??= entry.ts
      return null
    }
    case 'claim':
      applyClaim(state, entry as Entry<'claim'>, touched)
      return null
    case 'rendered': {
      const body = entry.body as BodyOf['rendered']
      const job = jobFor(state, body.job, touched)
      frameOf(job, body.frame, touched).results[author] = {
        file: body.file,
        pixelHash: body.pixelHash,
        renderMs: body.renderMs,
        wu: body.wu,
        ts: entry.ts,
      }
      const stats = state.workers[author] ?? { frames: 0, wu: 0, renderMs: 0 }
      state.workers[author] = stats
      stats.frames += 1
      stats.wu += body.wu
      stats.renderMs += body.renderMs
      const longest = state.longestFrame
      if (!longest || body.renderMs > longest.renderMs) {
        state.longestFrame = { job: body.job, frame: body.frame, worker: author, renderMs: body.renderMs }
      } else if (body.renderMs === longest.renderMs) {
        const mine = `${body.job}!${body.frame}!${author}`
        if (mine < `${longest.job}!${longest.frame}!${longest.worker}`) {
          state.longestFrame = { job: body.job, frame: body.frame, worker: author, renderMs: body.renderMs }
        }
      }
      return null
    }
    case 'failed': {
      const body = entry.body as BodyOf['failed']
      const job = jobFor(state, body.job, touched)
      const frame = frameOf(job, body.frame, touched)
      frame.failures += 1
      if (!frame.lastError || key > frame.lastError.key) {
        frame.lastError = { worker: author, attempt: body.attempt, error: body.error, key }
      }
      frame.failedBy[author] = (frame.failedBy[author] ?? 0) + 1
      settle(job, touched)
      return null
    }
    case 'verified': {
      const body = entry.body as BodyOf['verified']
      const job = jobFor(state, body.job, touched)
      frameOf(job, body.frame, touched).verdicts[`${author} ${body.worker}`] = {
        by: author,
        worker: body.worker,
        ok: body.ok,
        amount: body.amount,
      }
      return { key, author, type: 'verified', body }
    }
    case 'stitched': {
      const body = entry.body as BodyOf['stitched']
      const job = jobFor(state, body.job, touched)
      job.stitchedBy[author] = body.video
      settle(job, touched)
      return null
    }
    case 'cancel': {
      const job = jobFor(state, (entry.body as BodyOf['cancel']).job, touched)
      job.cancelledBy[author] ??= entry.ts
      settle(job, touched)
      return null
    }
    case 'capture': {
      const body = entry.body as BodyOf['capture']
      const days = state.captures[author] ?? {}
      state.captures[author] = days
      const day = days[body.day]
      if (!day) days[body.day] = { count: 1, last: body.time, file: body.file }
      else {
        day.count += 1
        if (body.time > day.last || (body.time === day.last && body.file < day.file)) {
          day.last = body.time
          day.file = body.file
        }
      }
      return null
    }
    case 'grant':
      return { key, author, type: 'grant', body: entry.body as GrantBody }
    case 'toggle': {
      const body = entry.body as BodyOf['toggle']
      const records = state.toggles[body.node] ?? {}
      state.toggles[body.node] = records
      const slot = `${author} ${body.cause}`
      const prior = records[slot]
      if (!prior || key > prior.key)
        records[slot] = { author, cause: body.cause, on: body.on, key, ts: entry.ts }
      return null
    }
    case 'admit':
    case 'revoke':
      return null
    default:
      return assertNever(entry.type)
  }
}

/** A worker's claims on a frame collapse into one record per worker: its tenure (see renewClaim). */
function applyClaim(state: FarmState, entry: Entry<'claim'>, touched: Touched) {
  const job = jobFor(state, entry.body.job, touched)
  if (job.settled) return
  const claim = { lamport: entry.lamport, seq: entry.seq, ts: entry.ts, leaseMs: entry.body.leaseMs }
  for (const f of entry.body.frames) {
    const frame = frameOf(job, f, touched)
    frame.claims[entry.author] = renewClaim(frame.claims[entry.author], claim)
  }
}

/**
 * Applies money events, which must sort after `state.moneyCursor`, in total order. With a
 * `genesis` list, only grants its members wrote count: otherwise any member could mint credits.
 */
export function applyMoney(
  state: FarmState,
  events: MoneyEvent[],
  touched: Touched,
  genesis?: readonly string[],
) {
  for (const event of events.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    state.moneyCursor = event.key
    touched.misc = true
    if (event.type === 'job') continue
    if (event.type === 'grant') {
      if (genesis && !genesis.includes(event.author)) continue
      const { to, amount } = event.body as GrantBody
      state.balances[to] = (state.balances[to] ?? 0) + amount
      state.granted += amount
      continue
    }
    const body = event.body as VerifiedBody
    const job = state.jobs[body.job]
    if (!job?.spec || !job.author || !body.ok || body.amount === 0) continue
    // A payment counts only if the job entry precedes it in total order: that is what the
    // verifier saw when it wrote it, and it keeps the decision independent of arrival order.
    if (orderKey(job.lamport, job.author, job.seq) > event.key) continue
    if (event.author !== job.author && event.author !== job.spec.stitcher) continue
    if (body.frame < job.spec.frames.first || body.frame > job.spec.frames.last) continue
    const frame = frameOf(job, body.frame, touched)
    if (frame.paid) continue
    const payer = job.author
    if ((state.balances[payer] ?? 0) < body.amount) continue
    state.balances[payer] = (state.balances[payer] ?? 0) - body.amount
    state.balances[body.worker] = (state.balances[body.worker] ?? 0) + body.amount
    frame.paid = { worker: body.worker, amount: body.amount }
    job.spent += body.amount
    touched.jobs.add(job.id)
  }
}

/** Undoes all money so it can be re-folded from the start in total order. */
export function resetMoney(state: FarmState, touched: Touched) {
  state.balances = {}
  state.granted = 0
  state.moneyCursor = ''
  touched.misc = true
  for (const job of Object.values(state.jobs)) {
    if (job.spent === 0) continue
    job.spent = 0
    touched.jobs.add(job.id)
    for (const [n, frame] of Object.entries(job.frames)) {
      if (!frame.paid) continue
      frame.paid = null
      touched.frames.add(`${job.id}!${n}`)
      if (isEmptyFrame(frame)) delete job.frames[n]
    }
  }
}

/**
 * The fold without a store, for a re-fold of a whole log and for tools that keep state in memory
 * only (tests, the scale simulation). Entries may come in any order across feeds, but each
 * feed's in seq order; money is settled in total order whenever the state is read. With a
 * genesis, whose entries count depends on membership entries of other feeds: give `membership`,
 * every admit and revoke of the set (membershipOf), so the order entries come in does not matter.
 */
export class MemoryFold {
  readonly #state: FarmState
  readonly #genesis: readonly string[] | undefined
  /** Money events folded so far, kept to re-fold money when one sorts before them. */
  readonly #money: MoneyEvent[] = []
  #pending: MoneyEvent[] = []

  constructor(opts: { genesis?: readonly string[]; membership?: MembershipRecords } = {}) {
    this.#genesis = opts.genesis
    this.#state = emptyState(opts.genesis)
    if (opts.membership) this.#state.membership = { ...opts.membership, roots: [...(opts.genesis ?? [])] }
  }

  add(entry: Entry): void {
    const event = applyEntry(this.#state, entry, touchedNothing())
    if (event) this.#pending.push(event)
  }

  state(): FarmState {
    if (this.#pending.length === 0) return this.#state
    const touched = touchedNothing()
    const cursor = this.#state.moneyCursor
    if (this.#pending.every((event) => event.key > cursor))
      applyMoney(this.#state, [...this.#pending], touched, this.#genesis)
    else {
      resetMoney(this.#state, touched)
      applyMoney(this.#state, [...this.#money, ...this.#pending], touched, this.#genesis)
    }
    this.#money.push(...this.#pending)
    this.#pending = []
    return this.#state
  }
}

/** Folds a set of entries from scratch, in any order given: the reference the ledger's incremental fold must match. */
export function foldEntries(entries: Iterable<Entry>, opts: { genesis?: readonly string[] } = {}): FarmState {
  const keyed = [...entries].map((e) => [orderKey(e.lamport, e.author, e.seq), e] as const)
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const fold = new MemoryFold({ ...opts, membership: membershipOf(keyed.map(([, e]) => e)) })
  for (const [, entry] of keyed) fold.add(entry)
  return fold.state()
}

/** The membership entries of a set of entries, to fold it with MemoryFold in any order. */
export function membershipOf(entries: Iterable<Entry>): MembershipRecords {
  const records = emptyMembership()
  for (const entry of entries) recordMembership(records, entry)
  return records
}

function jobFor(state: FarmState, id: string, touched: Touched): JobRecord {
  touched.jobs.add(id)
  let job = state.jobs[id]
  if (!job) {
    job = emptyJob(id)
    state.jobs[id] = job
  }
  return job
}

function frameOf(job: JobRecord, n: number, touched: Touched): FrameRecord {
  const key = String(n)
  touched.frames.add(`${job.id}!${key}`)
  let frame = job.frames[key]
  if (!frame) {
    frame = emptyFrame()
    job.frames[key] = frame
  }
  return frame
}

/**
 * Settlement only ever moves forward as entries are added, so compacting at settlement gives the
 * same state whichever entry settled the job first.
 */
function settle(job: JobRecord, touched: Touched) {
  if (!job.spec || !job.author) return
  const settled = settlementOf(job)
  if (!settled) return
  job.settled = settled
  for (const [n, frame] of Object.entries(job.frames)) {
    if (Object.keys(frame.claims).length === 0) continue
    frame.claims = {}
    touched.frames.add(`${job.id}!${n}`)
    if (isEmptyFrame(frame)) delete job.frames[n]
  }
}

function settlementOf(job: JobRecord): Settlement | null {
  const spec = job.spec
  if (!spec || !job.author) return null
  if (job.stitchedBy[spec.stitcher] !== undefined || job.stitchedBy[job.author] !== undefined)
    return 'stitched'
  if (job.cancelledBy[job.author] !== undefined) return 'cancelled'
  for (const frame of Object.values(job.frames)) {
    if (outOfAttempts(spec, frame) || (spec.failFast && frame.failures > 0)) return 'failed'
  }
  return null
}

function assertNever(type: never): never {
  throw new Error(`unhandled entry type ${String(type satisfies EntryType)}`)
}
