import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import {
  decodeEntry,
  type Entry,
  foldEntries,
  type Ledger,
  standingsOf,
  stateHash,
} from '../../src/ledger/index.ts'
import { hex, jobBody, newLedger, syncInto } from './ledger-fixtures.ts'

/** A swarm of ledgers that all know the same founder: the genesis every node of a swarm has. */
async function swarm<N extends string>(names: N[]) {
  const founderKey = await generateKeyPair('Ed25519')
  const founder = peerIdFromPrivateKey(founderKey).toString()
  const genesis = [founder]
  const nodes = { founder: await newLedger({ privateKey: founderKey, genesis }) } as Record<
    N | 'founder',
    Ledger
  >
  for (const name of names) nodes[name] = await newLedger({ genesis })
  return { genesis, founderKey, nodes }
}

/** Every entry a ledger holds, decoded: to fold the same set in another order. */
async function entriesOf(ledger: Ledger): Promise<Entry[]> {
  const entries: Entry[] = []
  for await (const batch of ledger.missing({}))
    for (const bytes of batch) entries.push(decodeEntry(bytes).entry)
  return entries
}

const submit = (ledger: Ledger, name: string) => ledger.append('job', jobBody(ledger.author, { name }))
const jobNames = (ledger: Ledger) =>
  Object.values(ledger.state().jobs)
    .map((job) => job.spec?.name)
    .sort()

describe('signed membership in the ledger', () => {
  it('stores and folds nothing of an author never admitted, and applies it once an admit names it', async () => {
    const { nodes } = await swarm(['stranger'])
    await submit(nodes.stranger, 'stray')
    const before = stateHash(nodes.founder.state())
    await syncInto(nodes.stranger, nodes.founder)
    expect(jobNames(nodes.founder)).toEqual([])
    expect((await nodes.founder.clock())[nodes.stranger.author]).toBeUndefined()
    expect(stateHash(nodes.founder.state())).toBe(before)

    // Held in memory, not stored: an admit makes the held feed apply at once.
    await nodes.founder.append('admit', { node: nodes.stranger.author })
    expect(jobNames(nodes.founder)).toEqual(['stray'])
    expect(standingsOf(nodes.founder.state().membership).members()).toEqual(
      [nodes.founder.author, nodes.stranger.author].sort(),
    )
  })

  it('folds a chain of admissions to the same state whatever order the feeds arrive in', async () => {
    const { genesis, nodes } = await swarm(['a', 'b', 'watcher1', 'watcher2'])
    const { founder, a, b } = nodes
    await founder.append('admit', { node: a.author })
    await syncInto(founder, a)
    await a.append('admit', { node: b.author })
    await syncInto(a, b)
    await submit(b, 'by-b')
    await submit(a, 'by-a')
    // Admitted-before-admittee order (what missing() sends) and the reverse, feed by feed.
    for (const from of [founder, a, b]) await syncInto(from, nodes.watcher1)
    for (const from of [b, a, founder]) {
      await syncInto(from, nodes.watcher2)
      await syncInto(from, nodes.watcher2)
    }
    expect(jobNames(nodes.watcher1)).toEqual(['by-a', 'by-b'])
    expect(stateHash(nodes.watcher2.state())).toBe(stateHash(nodes.watcher1.state()))
    const all = [...(await entriesOf(founder)), ...(await entriesOf(a)), ...(await entriesOf(b))]
    expect(stateHash(foldEntries(all.reverse(), { genesis }))).toBe(stateHash(nodes.watcher1.state()))
  })

  it("ignores a revoked node's later entries, and what it admits after, even when they arrived first", async () => {
    const { genesis, nodes } = await swarm(['x', 'friend', 'early', 'late'])
    const { founder, x, friend } = nodes
    await founder.append('admit', { node: x.author })
    await syncInto(founder, x)
    await syncInto(founder, nodes.early)
    await submit(x, 'before')
    await syncInto(x, founder)
    await founder.append('revoke', { node: x.author, last: (await founder.clock())[x.author]! })
    // Written before x learned of it: a job and an admission, neither may count.
    await submit(x, 'after')
    await x.append('admit', { node: friend.author })
    await syncInto(x, friend)
    await submit(friend, 'sybil')

    // `early` knew x was admitted and folds its later entries, then learns of the revoke: it must fold again.
    for (const from of [x, friend]) await syncInto(from, nodes.early)
    expect(jobNames(nodes.early)).toEqual(['after', 'before', 'sybil'])
    await syncInto(founder, nodes.early)
    expect(jobNames(nodes.early)).toEqual(['before'])
    // `late` learns of the revoke first.
    for (const from of [founder, x, friend]) await syncInto(from, nodes.late)
    expect(jobNames(nodes.late)).toEqual(['before'])
    expect(stateHash(nodes.late.state())).toBe(stateHash(nodes.early.state()))
    const standing = standingsOf(nodes.late.state().membership)
    expect(standing.of(x.author)).toMatchObject({ admitted: true, revoked: true, last: 1 })
    expect(standing.of(friend.author).admitted).toBe(false)
    expect(standing.members()).toEqual([founder.author])
    // The feeds are still stored, so every store converges; only the fold ignores them.
    expect((await nodes.late.clock())[x.author]).toBe(3)
    expect((await nodes.late.clock())[friend.author]).toBe(1)
    const all = [...(await entriesOf(founder)), ...(await entriesOf(x)), ...(await entriesOf(friend))]
    expect(stateHash(foldEntries(all, { genesis }))).toBe(stateHash(nodes.late.state()))
  })

  it('lets the founder and its admins remove members, and no one else remove anyone', async () => {
    const { nodes } = await swarm(['admin', 'm1', 'm2', 'm3'])
    const { founder, admin, m1, m2, m3 } = nodes
    await founder.append('admit', { node: admin.author, admin: true })
    for (const m of [m1, m2, m3]) await founder.append('admit', { node: m.author })
    // An admin's own `admin: true` makes no admin; a member cannot revoke; nobody revokes the founder.
    await admin.append('admit', { node: m3.author, admin: true })
    await m1.append('revoke', { node: m2.author, last: 0 })
    await admin.append('revoke', { node: founder.author, last: 0 })
    await admin.append('revoke', { node: m1.author, last: 0 })
    for (const from of [admin, m1]) await syncInto(from, founder)
    const standings = standingsOf(founder.state().membership)
    expect(standings.of(m3.author).admin).toBe(false)
    expect(standings.of(admin.author).admin).toBe(true)
    expect(standings.members()).toEqual([founder.author, admin.author, m2.author, m3.author].sort())
    expect(standings.of(founder.author)).toMatchObject({ admitted: true, revoked: false })
    // Once the founder removes the admin, its later revokes are powerless.
    await founder.append('revoke', { node: admin.author, last: (await founder.clock())[admin.author]! })
    await syncInto(founder, admin)
    await admin.append('revoke', { node: m2.author, last: 0 })
    await syncInto(admin, founder)
    expect(standingsOf(founder.state().membership).members()).toEqual(
      [founder.author, m2.author, m3.author].sort(),
    )
  })

  it('admits only as many nodes with one invite as its uses, the same ones on every node', async () => {
    const { nodes } = await swarm(['m1', 'm2', 'j1', 'j2', 'watcher'])
    const { founder, m1, m2, j1, j2, watcher } = nodes
    for (const m of [m1, m2]) await founder.append('admit', { node: m.author })
    for (const m of [m1, m2]) await syncInto(founder, m)
    // Two members spend the last use of one invite at once.
    const invite = { id: hex('ab'), uses: 1 }
    await m1.append('admit', { node: j1.author, invite })
    await m2.append('admit', { node: j2.author, invite })
    for (const from of [founder, m2, m1]) await syncInto(from, watcher)
    for (const from of [m1, m2]) await syncInto(from, founder)
    const standings = standingsOf(watcher.state().membership)
    const admitted = [j1.author, j2.author].filter((j) => standings.of(j).admitted)
    expect(admitted).toHaveLength(1)
    expect(standingsOf(founder.state().membership).of(admitted[0]!).admitted).toBe(true)
  })

  it('sends feeds founder first, so a cold sync of an admission chain holds nothing back', async () => {
    const { nodes } = await swarm(['a', 'b', 'c', 'fresh'])
    const { founder, a, b, c, fresh } = nodes
    await founder.append('admit', { node: a.author })
    await syncInto(founder, a)
    await a.append('admit', { node: b.author })
    await syncInto(a, b)
    await b.append('admit', { node: c.author })
    for (const from of [a, b]) await syncInto(from, founder)
    await syncInto(b, c)
    await submit(c, 'deep')
    await syncInto(c, founder)
    const result = await fresh.ingestStream(founder.missing({}, { maxBatchEntries: 1 }))
    expect(result).toMatchObject({ accepted: 4, held: [], refused: [] })
    expect(jobNames(fresh)).toEqual(['deep'])
  })

  it('keeps who counts across a restart, and folds again when opened under another genesis', async () => {
    const { genesis, founderKey, nodes } = await swarm(['m'])
    const { founder, m } = nodes
    await founder.append('admit', { node: m.author })
    await syncInto(founder, m)
    await submit(m, 'kept')
    await syncInto(m, founder)
    await founder.append('revoke', { node: m.author, last: 1 })
    await syncInto(founder, m)
    await submit(m, 'ignored')
    await syncInto(m, founder)
    expect(jobNames(founder)).toEqual(['kept'])
    const hash = stateHash(founder.state())
    await founder.close()
    const reopened = await newLedger({ path: founder.path, privateKey: founderKey, genesis })
    expect(stateHash(reopened.state())).toBe(hash)
    await reopened.close()
    // Without a genesis nobody is a member and every stored entry counts.
    const open = await newLedger({ path: founder.path, privateKey: founderKey })
    expect(jobNames(open)).toEqual(['ignored', 'kept'])
  })
})
