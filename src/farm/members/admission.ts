import { inviteUses, type Ledger } from '../../ledger/index.ts'
import {
  ADMIT_PROTOCOL,
  type InviteToken,
  openToken,
  P2PError,
  type SignedGenesis,
  type Swarm,
} from '../../p2p/index.ts'
import { standingOf } from './view.ts'

/**
 * /farm/admit/1, answered by every member: a joiner sends `{ token }` (its invite's signed
 * token), the member checks it and writes the joiner's `admit`, spending one of the invite's
 * uses. The answer is `{ ok: true }` or `{ ok: false, code, message }`; the message is for the
 * joiner's user, the code for its program (`retry` codes mean "ask another member").
 */
export type AdmitAnswer = { ok: true } | { ok: false; code: AdmitRefusal; message: string; retry: boolean }

export type AdmitRefusal =
  | 'INVITE_INVALID'
  | 'OTHER_SWARM'
  | 'INVITE_EXPIRED'
  | 'INVITE_USED_UP'
  | 'ISSUER_REMOVED'
  | 'REMOVED'
  | 'NOT_A_MEMBER'

export interface AdmissionDesk {
  ledger: Ledger
  swarm: Pick<Swarm, 'answer'>
  genesis: SignedGenesis
  now?: () => number
  log: (message: string) => void
}

/** Answers /farm/admit/1 until the swarm stops. */
export async function answerAdmissions(desk: AdmissionDesk): Promise<void> {
  // One admission at a time, so this node never spends an invite's last use twice.
  let queue: Promise<unknown> = Promise.resolve()
  await desk.swarm.answer(ADMIT_PROTOCOL, (request, peer) => {
    const answer = queue.then(() => admit(desk, request, peer))
    queue = answer.catch(() => undefined)
    return answer
  })
}

async function admit(desk: AdmissionDesk, request: unknown, peer: string): Promise<AdmitAnswer> {
  const { token: bytes } = (request ?? {}) as { token?: unknown }
  if (!(bytes instanceof Uint8Array)) return refuse('INVITE_INVALID', 'the request carries no invite token')
  let token: InviteToken
  try {
    token = await openToken(bytes)
  } catch (err) {
    return refuse('INVITE_INVALID', P2PError.is(err) ? err.message : String(err))
  }
  const verdict = verdictOn(desk, token, peer)
  if (verdict !== undefined) return verdict
  const { uses } = token.fields
  await desk.ledger.append('admit', { node: peer, invite: { id: token.id, uses } })
  const used = inviteUses(desk.ledger.state().membership, token.id)
  desk.log(`admitted ${peer} with an invite of ${token.fields.issuer} (use ${used} of ${uses})`)
  return { ok: true }
}

/** Why `token` admits no one now, if it does not (undefined: admit `peer`). */
function verdictOn(desk: AdmissionDesk, token: InviteToken, peer: string): AdmitAnswer | undefined {
  const { ledger, genesis } = desk
  const { swarm, issuer, expires, uses } = token.fields
  if (swarm !== genesis.id) return refuse('OTHER_SWARM', 'this invite is for another swarm')
  const standing = standingOf(ledger, peer)
  if (standing.revoked)
    return refuse(
      'REMOVED',
      `this node (${peer}) was removed from the swarm and cannot come back under its peer id: move its identity.key away to join as a new node`,
    )
  if (standing.admitted) return { ok: true }
  const self = standingOf(ledger, ledger.author)
  if (!self.admitted || self.revoked)
    return refuse('NOT_A_MEMBER', `${ledger.author} is not a member itself, so it cannot admit anyone`, true)
  const by = standingOf(ledger, issuer)
  if (!by.admitted || by.revoked)
    return refuse(
      'ISSUER_REMOVED',
      `the invite was issued by ${issuer}, which is not a member (any more), so its invites admit no one: ask a member for a new one`,
    )
  const now = (desk.now ?? Date.now)()
  if (now > expires)
    return refuse(
      'INVITE_EXPIRED',
      `this invite expired at ${new Date(expires).toISOString()}: ask a member for a new one (\`farm invite\`)`,
    )
  const used = inviteUses(ledger.state().membership, token.id)
  if (used >= uses)
    return refuse(
      'INVITE_USED_UP',
      `this invite is used up: it admitted ${used} of ${uses} node${uses === 1 ? '' : 's'} already; ask a member for a new one (\`farm invite --uses N\`)`,
    )
  return undefined
}

function refuse(code: AdmitRefusal, message: string, retry = false): AdmitAnswer {
  return { ok: false, code, message, retry }
}

/** The request a joiner sends. */
export function admitRequest(token: InviteToken): unknown {
  return { token: token.encoded }
}

/** An answer as the joiner reads it; anything else is a member that broke the protocol. */
export function readAnswer(value: unknown): AdmitAnswer | undefined {
  const a = value as Partial<{ ok: unknown; code: unknown; message: unknown; retry: unknown }> | null
  if (a?.ok === true) return { ok: true }
  if (a?.ok === false && typeof a.code === 'string' && typeof a.message === 'string')
    return { ok: false, code: a.code as AdmitRefusal, message: a.message, retry: a.retry === true }
  return undefined
}
