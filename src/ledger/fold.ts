import type { BodyOf, EntryType, GrantBody, MismatchBody, RepriceBody, VerifiedBody } from './bodies.ts'
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
  /** Entries about a job not held yet, set aside (see aboutUnknownJob): the caller keeps them. */
  orphans: Entry[]
}

export function touchedNothing(): Touched {
  return { jobs: new Set(), frames: new Set(), misc: false, orphans: [] }
}

/** The job an entry is about, for every type that names one but `job` itself. */
export function jobOfEntry(entry: Entry): string | undefined {
  switch (entry.type) {
    case 'accept':
    case 'claim':
    case 'rendered':
    case 'failed':
    case 'verified':
    case 'stitched':
    case 'cancel':
      return (entry.body as { job: string }).job
    default:
      return undefined
  }
}

/**
 * Whether `entry` is about a job whose `job` entry has not been folded: it creates no state then
 * (else a member could make every node keep records for any number of made-up jobs). The caller
 * keeps it aside (Touched.orphans) and folds it once the job entry is folded: entries of one feed
 * still fold in seq order, and the fold is commutative across feeds, so the state is the same as
 * if the job had come first.
 */
export function aboutUnknownJob(state: FarmState, entry: Entry): boolean {
  const job = jobOfEntry(entry)
  return job !== undefined && !state.jobs[job]?.spec
}

export interface MoneyEvent {
  key: string
  author: string
  /**
   * `job` entries decide which payments count and reserve the budget, so one arriving late
   * re-folds money too; `settle` (a `stitched` or `cancel`) returns the escrow; a `failure` (a
   * `failed` entry) returns it once a frame is out of attempts, since the job then fails; a
   * `mismatch` ruled a cheat takes back what the worker earned on the job; `reprice` sets the
   * price payments are capped by.
   */
  type: 'grant' | 'verified' | 'job' | 'mismatch' | 'reprice' | 'settle' | 'failure'
  body: GrantBody | VerifiedBody | MismatchBody | RepriceBody | { job: string; frame?: number } | null
}

/** Applies the commutative part of one entry; returns the money event it carries, if any. */
export function applyEntry(state: FarmState, entry: Entry, touched: Touched): MoneyEvent | null {
  const { author, seq } = entry
  state.clock[author] = seq
  if (entry.lamport > state.lamport) state.lamport = entry.lamport
  touched.misc = true
  recordMembership(state.membership, entry)
  if (!counts(state.membership, author, seq)) return null
  if (aboutUnknownJob(state, entry)) {
    touched.orphans.push(entry)
    return null
  }
  return applyCounted(state, entry, touched)
}

/** Folds an entry set aside by applyEntry once its job is folded: its feed's clock has moved on since. */
export function adoptOrphan(state: FarmState, entry: Entry, touched: Touched): MoneyEvent | null {
  return applyCounted(state, entry, touched)
}

/** What an entry that counts does to the state. */
function applyCounted(state: FarmState, entry: Entry, touched: Touched): MoneyEvent | null {
  const { author, seq } = entry
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
      return { key, author, type: 'job', body: { job: entry.hash } }
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
      return { key, author, type: 'failure', body: { job: body.job, frame: body.frame } }
    }
    case 'verified': {
      const body = entry.body as BodyOf['verified']
      const job = jobFor(state, body.job, touched)
      frameOf(job, body.frame, touched).verdicts[`${author} ${body.worker}`] = {
        by: author,
        worker: body.worker,
        ok: body.ok,
        amount: body.amount,
        ...(body.checked ? { checked: true as const } : {}),
      }
      return { key, author, type: 'verified', body }
    }
    case 'stitched': {
      const body = entry.body as BodyOf['stitched']
      const job = jobFor(state, body.job, touched)
      job.stitchedBy[author] = body.video
      settle(job, touched)
      return { key, author, type: 'settle', body: { job: body.job } }
    }
    case 'cancel': {
      const body = entry.body as BodyOf['cancel']
      const job = jobFor(state, body.job, touched)
      job.cancelledBy[author] ??= entry.ts
      settle(job, touched)
      return { key, author, type: 'settle', body: { job: body.job } }
    }
    case 'mismatch': {
      const body = entry.body as BodyOf['mismatch']
      const job = jobFor(state, body.job, touched)
      job.mismatches[`${body.frame} ${body.worker}`] = { ...body, by: author, seq }
      return body.ruling === 'cheat' ? { key, author, type: 'mismatch', body } : null
    }
    case 'reprice': {
      const body = entry.body as BodyOf['reprice']
      const job = jobFor(state, body.job, touched)
      job.reprices[author] = { seq, pricePerWU: body.pricePerWU }
      return { key, author, type: 'reprice', body }
    }
    case 'sample': {
      const body = entry.body as BodyOf['sample']
      jobFor(state, body.job, touched).samples[author] = { commit: body.commit, secret: body.secret ?? '' }
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
    case 'fork':
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
    if (event.type === 'grant') {
      if (genesis && !genesis.includes(event.author)) continue
      const { to, amount } = event.body as GrantBody
      state.balances[to] = (state.balances[to] ?? 0) + amount
      state.granted += amount
      continue
    }
    const about = (event.body as { job?: string } | null)?.job
    const job = about !== undefined ? state.jobs[about] : jobWithEntry(state, event.key)
    if (!job?.spec || !job.author) continue
    // A money entry about a job counts only if the job entry precedes it in total order: that is
    // what its writer saw, and it keeps the decision independent of arrival order.
    if (orderKey(job.lamport, job.author, job.seq) > event.key) continue
    touched.jobs.add(job.id)
    if (event.type === 'job') reserveBudget(state, job)
    else if (event.type === 'verified') pay(state, job, event, touched)
    else if (event.type === 'mismatch') forfeit(state, job, event, touched)
    else if (event.type === 'failure') failure(state, job, event, touched)
    else if (event.type === 'reprice') {
      if (event.author === job.author) job.price = (event.body as RepriceBody).pricePerWU
    } else if (event.author === job.author || event.author === job.spec.stitcher) {
      returnEscrow(state, job)
    }
  }
}

/** At settlement, what the budget did not spend goes back to the payer; payments after it find none. */
function returnEscrow(state: FarmState, job: JobRecord) {
  state.balances[job.author!] = (state.balances[job.author!] ?? 0) + job.escrow
  job.escrow = 0
}

/**
 * A `failed` entry counts toward its frame's attempts in total order; the one that puts a frame
 * out of attempts (or any, for a fail-fast job) fails the job, and its escrow goes back to the
 * payer then, as a cancel's would: nobody is paid for a job that cannot be finished.
 */
function failure(state: FarmState, job: JobRecord, event: MoneyEvent, touched: Touched) {
  const { frame } = event.body as { frame: number }
  const spec = job.spec!
  const n = String(frame)
  job.moneyFailures[n] = (job.moneyFailures[n] ?? 0) + 1
  touched.jobs.add(job.id)
  if (job.moneyFailures[n]! >= spec.attempts || spec.failFast === true) returnEscrow(state, job)
}

/** The job a `job` money event stored before they named their job is about: the one whose entry has that order key. */
function jobWithEntry(state: FarmState, key: string): JobRecord | undefined {
  for (const job of Object.values(state.jobs))
    if (job.author && orderKey(job.lamport, job.author, job.seq) === key) return job
  return undefined
}

/** At submission: the job's budget (or as much of it as the payer holds) moves into escrow. */
function reserveBudget(state: FarmState, job: JobRecord) {
  const budget = job.spec!.budget
  if (budget === undefined || job.escrow > 0) return
  const payer = job.author!
  const reserved = Math.min(budget, state.balances[payer] ?? 0)
  state.balances[payer] = (state.balances[payer] ?? 0) - reserved
  job.escrow = reserved
}

/**
 * A `verified` that accepts a frame pays its worker, from the escrow when the job has a budget
 * (else from the payer's balance), once per frame, never more than the job's price times the WU
 * the verifier capped the frame at, never beyond the budget, never to a worker ruled a cheat.
 */
function pay(state: FarmState, job: JobRecord, event: MoneyEvent, touched: Touched) {
  const body = event.body as VerifiedBody
  const spec = job.spec!
  if (!body.ok || body.amount === 0) return
  if (event.author !== job.author && event.author !== spec.stitcher) return
  if (body.frame < spec.frames.first || body.frame > spec.frames.last) return
  if (job.forfeited[body.worker] !== undefined) return
  const price = job.price ?? spec.pricePerWU
  if (body.wu !== undefined && body.amount > Math.floor((body.wu * price) / 1000)) return
  const frame = frameOf(job, body.frame, touched)
  // Once per frame; and once more for a worker a third render cleared (its image was rejected
  // while the dispute was open, and the third render was paid for the frame meanwhile).
  const cleared = `${body.frame} ${body.worker}`
  const again = body.cleared === true && frame.paid !== null && frame.paid.worker !== body.worker
  if (frame.paid && (!again || job.clearedPaid[cleared] !== undefined)) return
  if (!charge(state, job, body.amount)) return
  state.balances[body.worker] = (state.balances[body.worker] ?? 0) + body.amount
  if (again) job.clearedPaid[cleared] = body.amount
  else frame.paid = { worker: body.worker, amount: body.amount }
  job.spent += body.amount
}

/** Takes a payment from the job's escrow when it has a budget, else from the payer's balance; false when it cannot. */
function charge(state: FarmState, job: JobRecord, amount: number): boolean {
  const payer = job.author!
  if (job.spec!.budget !== undefined) {
    if (job.escrow < amount) return false
    job.escrow -= amount
  } else {
    if ((state.balances[payer] ?? 0) < amount) return false
    state.balances[payer] = (state.balances[payer] ?? 0) - amount
  }
  return true
}

/**
 * A cheat earns nothing for the job: what it was paid goes back (to the escrow, or the payer),
 * as far as its balance still holds it, its frames are unpaid (others render them again), and
 * no later payment of the job reaches it.
 */
function forfeit(state: FarmState, job: JobRecord, event: MoneyEvent, touched: Touched) {
  const { worker } = event.body as MismatchBody
  if (event.author !== job.author && event.author !== job.spec!.stitcher) return
  let taken = job.forfeited[worker] ?? 0
  const takeBack = (amount: number) => {
    const take = Math.min(amount, state.balances[worker] ?? 0)
    state.balances[worker] = (state.balances[worker] ?? 0) - take
    if (job.spec!.budget !== undefined) job.escrow += take
    else state.balances[job.author!] = (state.balances[job.author!] ?? 0) + take
    job.spent -= amount
    taken += take
  }
  for (const [n, frame] of Object.entries(job.frames)) {
    if (frame.paid?.worker !== worker) continue
    takeBack(frame.paid.amount)
    frame.paid = null
    touched.frames.add(`${job.id}!${n}`)
  }
  for (const [slot, amount] of Object.entries(job.clearedPaid)) {
    if (slot.slice(slot.indexOf(' ') + 1) !== worker) continue
    takeBack(amount)
    delete job.clearedPaid[slot]
  }
  job.forfeited[worker] = taken
}

/** Undoes all money so it can be re-folded from the start in total order. */
export function resetMoney(state: FarmState, touched: Touched) {
  state.balances = {}
  state.granted = 0
  state.moneyCursor = ''
  touched.misc = true
  for (const job of Object.values(state.jobs)) {
    if (
      job.spent === 0 &&
      job.escrow === 0 &&
      job.price === null &&
      isEmptyRecord(job.forfeited) &&
      isEmptyRecord(job.moneyFailures)
    )
      continue
    job.spent = 0
    job.escrow = 0
    job.price = null
    job.forfeited = {}
    job.clearedPaid = {}
    job.moneyFailures = {}
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
  /** Entries about jobs not folded yet, by job, in the order added. */
  readonly #orphans = new Map<string, Entry[]>()

  constructor(opts: { genesis?: readonly string[]; membership?: MembershipRecords } = {}) {
    this.#genesis = opts.genesis
    this.#state = emptyState(opts.genesis)
    if (opts.membership) this.#state.membership = { ...opts.membership, roots: [...(opts.genesis ?? [])] }
  }

  add(entry: Entry, orphan = false): void {
    const touched = touchedNothing()
    const event = (orphan ? adoptOrphan : applyEntry)(this.#state, entry, touched)
    if (event) this.#pending.push(event)
    for (const orphan of touched.orphans) {
      const job = jobOfEntry(orphan)!
      const list = this.#orphans.get(job)
      if (list) list.push(orphan)
      else this.#orphans.set(job, [orphan])
    }
    const waiting =
      entry.type === 'job' && this.#state.jobs[entry.hash]?.spec ? this.#orphans.get(entry.hash) : undefined
    if (waiting) {
      this.#orphans.delete(entry.hash)
      for (const orphan of waiting) this.add(orphan, true)
    }
  }

  /** Entries still waiting for their job's entry. */
  orphans(): Entry[] {
    return [...this.#orphans.values()].flat()
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

function isEmptyRecord(record: Record<string, unknown>): boolean {
  for (const _ in record) return false
  return true
}

function assertNever(type: never): never {
  throw new Error(`unhandled entry type ${String(type satisfies EntryType)}`)
}
