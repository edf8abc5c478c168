import type { AdmitBody, ForkBody, RevokeBody } from './bodies.ts'
import type { Entry } from './entry.ts'
import { orderKey } from './state.ts'

/**
 * Signed membership: which authors' entries count. A swarm's roots (its founder, named by the
 * founder-signed genesis) count from the start; any other author counts once an `admit` naming
 * it was written by an admitted member, and stops counting after the `last` seq a valid `revoke`
 * names. The standing of every node is a pure function of the membership entries held (never of
 * the order they arrived in), so every node that holds the same entries agrees on who counts.
 *
 *   - An admit counts when its author is admitted and wrote it within its own counted feed.
 *   - An admit that spends an invite counts only among the first `uses` admits spending that
 *     invite, in total order (lamport, author, seq): two members redeeming the last use at once
 *     both write, and every node keeps the same one.
 *   - `admin` counts only in a root's admit. A root may revoke anyone but a root; an admin, while
 *     its own entries count, anyone but a root or an admin.
 *   - A revoke cuts the node's feed after `last`; the lowest cut wins. What it wrote up to there
 *     stays (its rendered frames, the members it admitted), nothing after counts, and it is
 *     never a member again under that peer id.
 *
 *   - A fork proof (a `fork` entry, checked when it was decoded, by whoever wrote it) cuts the
 *     forked author's feed before the forked seq, like a revoke: each node keeps one branch of
 *     it, and none of either branch counts, so all agree whichever they saw first.
 *
 * With no roots (a ledger opened without a genesis: tests, tools) every author counts, up to its forks.
 */

export interface AdmitRecord {
  by: string
  seq: number
  node: string
  admin: boolean
  invite: { id: string; uses: number } | null
}

export interface RevokeRecord {
  by: string
  seq: number
  node: string
  last: number
}

/** Every membership entry held, valid or not, keyed by orderKey: the input of the standings. */
export interface MembershipRecords {
  roots: string[]
  admits: Record<string, AdmitRecord>
  revokes: Record<string, RevokeRecord>
  /** Forked author -> the lowest seq a fork proof held shows two versions of (forkedAt). */
  forks: Record<string, number>
}

export interface Standing {
  /** Its entries count (up to `last`). */
  admitted: boolean
  admin: boolean
  /** A valid revoke names it: its connections are refused even while its past entries count. */
  revoked: boolean
  /** The last seq of its feed that counts. */
  last: number
}

export function emptyMembership(roots: readonly string[] = []): MembershipRecords {
  return { roots: [...roots], admits: {}, revokes: {}, forks: {} }
}

/** Records an `admit` or `revoke` entry (idempotent: keyed by the entry's place in total order). */
export function recordMembership(records: MembershipRecords, entry: Entry): boolean {
  const key = orderKey(entry.lamport, entry.author, entry.seq)
  if (entry.type === 'admit') {
    if (records.admits[key]) return false
    const body = entry.body as AdmitBody
    records.admits[key] = {
      by: entry.author,
      seq: entry.seq,
      node: body.node,
      admin: body.admin === true,
      invite: body.invite ?? null,
    }
  } else if (entry.type === 'revoke') {
    if (records.revokes[key]) return false
    const body = entry.body as RevokeBody
    records.revokes[key] = { by: entry.author, seq: entry.seq, node: body.node, last: body.last }
  } else if (entry.type === 'fork') {
    if (!recordFork(records, entry.body as ForkBody)) return false
  } else return false
  derived.delete(records)
  return true
}

/** Keeps the lowest forked seq of each author; whether that lowered it. */
function recordFork(records: MembershipRecords, body: ForkBody): boolean {
  records.forks ??= {}
  const known = records.forks[body.author]
  if (known !== undefined && known <= body.seq) return false
  records.forks[body.author] = body.seq
  return true
}

/** The seq from which `author`'s feed is forked (none of it counts from there), or undefined. */
export function forkedAt(records: MembershipRecords, author: string): number | undefined {
  return records.forks?.[author]
}

/** Authors a fork proof held shows forking, sorted. */
export function forkedAuthors(records: MembershipRecords): string[] {
  return Object.keys(records.forks ?? {}).sort()
}

const NEVER: Standing = { admitted: false, admin: false, revoked: false, last: 0 }
const ROOT: Standing = { admitted: true, admin: true, revoked: false, last: Number.MAX_SAFE_INTEGER }

/** What the records say, computed once per change of the records. */
export interface Standings {
  /** False when there are no roots: every author counts, nobody is refused. */
  readonly enforced: boolean
  of(peer: string): Standing
  /** Named by a root or by any admit held: its feed is stored (counted or not), so stores converge. */
  named(peer: string): boolean
  /** Admitted and not revoked, sorted. */
  members(): string[]
  /** Where `peer`'s feed goes in a sync: roots first, then in the order they were first named. */
  rank(peer: string): string
}

const derived = new WeakMap<MembershipRecords, Standings>()

export function standingsOf(records: MembershipRecords): Standings {
  let standings = derived.get(records)
  if (!standings) {
    standings = derive(records)
    derived.set(records, standings)
  }
  return standings
}

/** Whether entry `seq` of `author` counts in the fold. */
export function counts(records: MembershipRecords, author: string, seq: number): boolean {
  const forked = forkedAt(records, author)
  if (forked !== undefined && seq >= forked) return false
  if (records.roots.length === 0) return true
  const standing = standingsOf(records).of(author)
  return standing.admitted && seq <= standing.last
}

/**
 * Records the membership entries among `entries` and tells whether that changes the verdict on
 * an entry already folded: feeds up to `heads` were folded under the old standings, so a
 * revoke cutting below a head, or an admission gained or lost by a feed already held, means the
 * state must be folded again from the log.
 */
export function recordAll(
  records: MembershipRecords,
  entries: readonly Entry[],
  heads: () => ReadonlyMap<string, number>,
): boolean {
  const forks = entries.some((e) => e.type === 'fork')
  if (
    !forks &&
    (records.roots.length === 0 || !entries.some((e) => e.type === 'admit' || e.type === 'revoke'))
  )
    return false
  const before = standingsOf(records)
  const forksBefore = { ...records.forks }
  let changed = false
  for (const entry of entries) changed = recordMembership(records, entry) || changed
  if (!changed) return false
  const after = standingsOf(records)
  for (const [author, head] of heads()) {
    const was = countedUpTo(before.of(author), head, forksBefore[author])
    if (was !== countedUpTo(after.of(author), head, forkedAt(records, author))) return true
  }
  return false
}

function countedUpTo(standing: Standing, head: number, forked: number | undefined): number {
  return standing.admitted ? Math.min(standing.last, head, (forked ?? Number.MAX_SAFE_INTEGER) - 1) : 0
}

function derive(records: MembershipRecords): Standings {
  const roots = new Set(records.roots)
  const admits = sortedValues(records.admits)
  const revokes = sortedValues(records.revokes)
  const firstNamed = new Map<string, string>()
  for (const [key, admit] of admits) if (!firstNamed.has(admit.node)) firstNamed.set(admit.node, key)

  const admins = new Set<string>()
  for (const [, admit] of eligible(admits)) {
    if (roots.has(admit.by) && admit.admin && !roots.has(admit.node)) admins.add(admit.node)
  }
  const rootCut = new Map<string, number>()
  for (const [, revoke] of revokes) {
    if (roots.has(revoke.by) && !roots.has(revoke.node)) lower(rootCut, revoke.node, revoke.last)
  }
  const cut = new Map(rootCut)
  for (const [, revoke] of revokes) {
    const byAdmin = admins.has(revoke.by) && revoke.seq <= (rootCut.get(revoke.by) ?? Number.MAX_SAFE_INTEGER)
    if (byAdmin && !roots.has(revoke.node) && !admins.has(revoke.node)) lower(cut, revoke.node, revoke.last)
  }
  const forkCut = (peer: string) => (records.forks?.[peer] ?? Number.MAX_SAFE_INTEGER) - 1
  const lastOf = (peer: string) => Math.min(cut.get(peer) ?? Number.MAX_SAFE_INTEGER, forkCut(peer))

  // The least set closed under "admitted by an admitted member within its counted feed".
  const admitted = new Set(roots)
  const open = eligible(admits)
  for (let grew = true; grew; ) {
    grew = false
    for (const [, admit] of open) {
      if (admitted.has(admit.node) || !admitted.has(admit.by) || admit.seq > lastOf(admit.by)) continue
      admitted.add(admit.node)
      grew = true
    }
  }

  const cache = new Map<string, Standing>()
  const of = (peer: string): Standing => {
    if (roots.size === 0) return ROOT
    if (roots.has(peer)) return ROOT
    let standing = cache.get(peer)
    if (!standing) {
      standing = admitted.has(peer)
        ? { admitted: true, admin: admins.has(peer), revoked: cut.has(peer), last: lastOf(peer) }
        : NEVER
      cache.set(peer, standing)
    }
    return standing
  }
  const members = [...admitted].filter((peer) => !cut.has(peer)).sort()
  return {
    enforced: roots.size > 0,
    of,
    named: (peer) => roots.size === 0 || roots.has(peer) || firstNamed.has(peer),
    members: () => members,
    rank: (peer) => (roots.has(peer) ? '0' : `1${firstNamed.get(peer) ?? '~'}`),
  }
}

/** Admits that may count: those spending no invite, and the first `uses` of each invite. */
function eligible(admits: [string, AdmitRecord][]): [string, AdmitRecord][] {
  const spent = new Map<string, { uses: number; count: number }>()
  return admits.filter(([, admit]) => {
    if (!admit.invite) return true
    const invite = spent.get(admit.invite.id) ?? { uses: admit.invite.uses, count: 0 }
    spent.set(admit.invite.id, invite)
    invite.count += 1
    return invite.count <= invite.uses
  })
}

function sortedValues<T>(records: Record<string, T>): [string, T][] {
  return Object.entries(records).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function lower(cuts: Map<string, number>, peer: string, last: number) {
  cuts.set(peer, Math.min(cuts.get(peer) ?? Number.MAX_SAFE_INTEGER, last))
}

/** How many admits held spent the invite `id`: what a member checks before spending another. */
export function inviteUses(records: MembershipRecords, id: string): number {
  let used = 0
  for (const admit of Object.values(records.admits)) if (admit.invite?.id === id) used += 1
  return used
}
