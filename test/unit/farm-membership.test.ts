import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { flagsOf } from '../../src/cli/flags.ts'
import { adoptInvite, initHome, rekeyHome } from '../../src/farm/index.ts'
import { type AdmitAnswer, answerAdmissions } from '../../src/farm/members/admission.ts'
import { admitNode, removeNode } from '../../src/farm/members/manage.ts'
import { standingOf } from '../../src/farm/members/view.ts'
import type { Ledger } from '../../src/ledger/index.ts'
import {
  createGenesis,
  issueToken,
  type QueryHandler,
  readSwarmSecret,
  type SignedGenesis,
} from '../../src/p2p/index.ts'
import { tempDir } from '../helpers/farm.ts'
import { newLedger, syncInto } from './ledger-fixtures.ts'

const HOUR = 3600_000

/** `ledger` answering /farm/admit/1 through a stand-in for the swarm, at a clock the test sets. */
async function deskOf(ledger: Ledger, genesis: SignedGenesis, clock = { now: Date.now() }) {
  let handler: QueryHandler | undefined
  await answerAdmissions({
    ledger,
    genesis,
    now: () => clock.now,
    log: () => undefined,
    swarm: {
      answer: async (_protocol, h) => {
        handler = h
      },
    },
  })
  return async (token: { encoded: Uint8Array }, peer: string) =>
    (await handler!({ token: token.encoded }, peer)) as AdmitAnswer
}

async function founderDesk() {
  const key = await generateKeyPair('Ed25519')
  const genesis = await createGenesis(key)
  const ledger = await newLedger({ privateKey: key, genesis: [genesis.fields.founder] })
  const clock = { now: 1_000_000 }
  return { key, genesis, ledger, clock, present: await deskOf(ledger, genesis, clock) }
}

const peer = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const invite = (key: PrivateKey, genesis: SignedGenesis, expires: number, uses = 1) =>
  issueToken(key, genesis, { expires, uses })

describe('a member answering an invite', () => {
  it('admits the joiner, spending one use of the invite, counted from the ledger', async () => {
    const desk = await founderDesk()
    const token = await invite(desk.key, desk.genesis, desk.clock.now + HOUR, 1)
    const joiner = await peer()
    expect(await desk.present(token, joiner)).toEqual({ ok: true })
    expect(standingOf(desk.ledger, joiner).admitted).toBe(true)
    const admits = Object.values(desk.ledger.state().membership.admits)
    expect(admits).toEqual([
      { by: desk.ledger.author, seq: 1, node: joiner, admin: false, invite: { id: token.id, uses: 1 } },
    ])
    // Asking again is no second use.
    expect(await desk.present(token, joiner)).toEqual({ ok: true })
    expect(Object.keys(desk.ledger.state().membership.admits)).toHaveLength(1)
    const second = await desk.present(token, await peer())
    expect(second).toMatchObject({ ok: false, code: 'INVITE_USED_UP' })
    expect(second.ok || second.message).toBe(
      'this invite is used up: it admitted 1 of 1 node already; ask a member for a new one (`farm invite --uses N`)',
    )
  })

  it('refuses an expired invite, saying when it expired', async () => {
    const desk = await founderDesk()
    const token = await invite(desk.key, desk.genesis, desk.clock.now + HOUR)
    desk.clock.now += HOUR + 1
    const answer = await desk.present(token, await peer())
    expect(answer).toMatchObject({ ok: false, code: 'INVITE_EXPIRED', retry: false })
    expect(answer.ok || answer.message).toBe(
      `this invite expired at ${new Date(1_000_000 + HOUR).toISOString()}: ask a member for a new one (\`farm invite\`)`,
    )
    expect(Object.keys(desk.ledger.state().membership.admits)).toHaveLength(0)
  })

  it("refuses another swarm's invite, a removed issuer's, a removed node, and what is not a token", async () => {
    const desk = await founderDesk()
    const other = await createGenesis(desk.key)
    const later = desk.clock.now + HOUR
    expect(await desk.present(await invite(desk.key, other, later), await peer())).toMatchObject({
      code: 'OTHER_SWARM',
    })
    const memberKey = await generateKeyPair('Ed25519')
    const member = peerIdFromPrivateKey(memberKey).toString()
    await desk.ledger.append('admit', { node: member })
    const fromMember = await invite(memberKey, desk.genesis, later, 5)
    expect(await desk.present(fromMember, await peer())).toEqual({ ok: true })
    await removeNode(desk.ledger, member)
    expect(await desk.present(fromMember, await peer())).toMatchObject({ code: 'ISSUER_REMOVED' })
    expect(await desk.present(await invite(desk.key, desk.genesis, later), member)).toMatchObject({
      code: 'REMOVED',
    })
    expect(await desk.present({ encoded: new Uint8Array([1, 2, 3]) }, await peer())).toMatchObject({
      code: 'INVITE_INVALID',
    })
  })

  it('asks the joiner to try another member when it is no member itself', async () => {
    const desk = await founderDesk()
    const outsider = await newLedger({ genesis: [desk.genesis.fields.founder] })
    const present = await deskOf(outsider, desk.genesis)
    const token = await invite(desk.key, desk.genesis, Date.now() + HOUR)
    expect(await present(token, await peer())).toMatchObject({
      code: 'NOT_A_MEMBER',
      retry: true,
    })
  })
})

describe('removing and admitting members', () => {
  async function swarm() {
    const founderKey = await generateKeyPair('Ed25519')
    const founder = peerIdFromPrivateKey(founderKey).toString()
    const genesis = [founder]
    const ledgers = {
      founder: await newLedger({ privateKey: founderKey, genesis }),
      admin: await newLedger({ genesis }),
      member: await newLedger({ genesis }),
      other: await newLedger({ genesis }),
    }
    await admitNode(ledgers.founder, ledgers.admin.author, true)
    for (const l of [ledgers.member, ledgers.other]) await admitNode(ledgers.founder, l.author, false)
    for (const l of [ledgers.admin, ledgers.member, ledgers.other]) await syncInto(ledgers.founder, l)
    await ledgers.member.append('node', { name: 'laptop', owner: 'ana', renderers: [], cores: 2, wupm: 1 })
    for (const l of [ledgers.admin, ledgers.founder]) await syncInto(ledgers.member, l)
    return ledgers
  }
  const removed = (by: Ledger, node: string) => standingOf(by, node).revoked

  it('lets the founder remove by name, naming the last entry that still counts', async () => {
    const { founder, member } = await swarm()
    expect(await removeNode(founder, 'laptop')).toEqual({ id: member.author, name: 'laptop', last: 1 })
    expect(removed(founder, member.author)).toBe(true)
    await expect(removeNode(founder, 'laptop')).rejects.toMatchObject({ code: 'CANNOT_REMOVE' })
  })

  it('lets an admin remove a member but not an admin or the founder, and a member remove no one', async () => {
    const { founder, admin, member, other } = await swarm()
    await expect(removeNode(member, other.author)).rejects.toMatchObject({ code: 'NOT_ADMIN', exitCode: 2 })
    await expect(removeNode(admin, founder.author)).rejects.toThrow("it is the swarm's founder")
    await expect(removeNode(founder, founder.author)).rejects.toThrow('it is this node')
    await expect(removeNode(admin, 'nobody')).rejects.toMatchObject({ code: 'UNKNOWN_NODE' })
    await removeNode(admin, other.author.slice(0, 14))
    expect(removed(admin, other.author)).toBe(true)
    await admitNode(founder, member.author, true)
    await syncInto(founder, admin)
    await expect(removeNode(admin, member.author)).rejects.toThrow('only the founder removes admins')
  })

  it('gives admin only from the founder, and never admits a removed node again', async () => {
    const { founder, admin, member } = await swarm()
    const stranger = await peer()
    await expect(admitNode(admin, stranger, true)).rejects.toMatchObject({ code: 'NOT_ADMIN' })
    await admitNode(member, stranger, false)
    expect(standingOf(member, stranger).admitted).toBe(true)
    await removeNode(founder, member.author)
    await expect(admitNode(founder, member.author, false)).rejects.toThrow('never comes back')
  })
})

describe('a rekey', () => {
  it("moves a member's home to its founder's later genesis, and to no other", async () => {
    const root = await tempDir()
    const founder = join(root, 'founder')
    const { invite } = await initHome(founder, { listen: ['/ip4/127.0.0.1/tcp/4999'] })
    const member = join(root, 'member')
    await adoptInvite(member, invite)
    const key = async (home: string) => Buffer.from((await readSwarmSecret(home))!).toString('hex')
    const old = await key(member)
    await adoptInvite(member, await rekeyHome(founder))
    expect(await key(member)).toBe(await key(founder))
    expect(await key(member)).not.toBe(old)
    // The old genesis again, or another founder's, is another swarm.
    await expect(adoptInvite(member, invite)).rejects.toMatchObject({ code: 'WRONG_SWARM' })
    const other = await initHome(join(root, 'other'), { listen: ['/ip4/127.0.0.1/tcp/4998'] })
    await expect(adoptInvite(member, other.invite)).rejects.toMatchObject({ code: 'WRONG_SWARM' })
    await expect(rekeyHome(member)).rejects.toMatchObject({ code: 'NOT_FOUNDER', exitCode: 2 })
  })
})

describe('--expires', () => {
  const flags = flagsOf('invite')
  it('reads durations with units, alone or combined', () => {
    expect(flags.duration('expires', '90s')).toBe(90_000)
    expect(flags.duration('expires', '24h')).toBe(24 * HOUR)
    expect(flags.duration('expires', '1h30m')).toBe(1.5 * HOUR)
    expect(flags.duration('expires', '7d')).toBe(7 * 24 * HOUR)
    expect(flags.duration('expires', undefined)).toBeUndefined()
  })

  it('refuses a number without its unit, an unknown unit and zero', () => {
    for (const text of ['24', '3w', '0s', '1h 30x', ''])
      expect(() => flags.duration('expires', text)).toThrow(
        `farm invite: --expires '${text}' is not a duration such as 25s, 2m, 24h, 7d or 1h30m.`,
      )
  })
})
