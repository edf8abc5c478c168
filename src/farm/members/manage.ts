import { type Ledger, standingsOf } from '../../ledger/index.ts'
import { FarmError } from '../errors.ts'

/** What `farm remove` and `farm admit` print. */
export interface MemberChange {
  id: string
  name: string | null
  /** For a removal: the last entry of its feed that still counts. */
  last?: number
}

/**
 * The node `ref` names: a full peer id, a unique prefix of one (8 characters at least) or a
 * unique node name, among the nodes this ledger knows (named by an admit, or described by a
 * `node` entry). A full peer id may also name a node the ledger has not met (`farm admit`).
 */
export function resolveNode(ledger: Ledger, ref: string, opts: { unknownOk?: boolean } = {}): string {
  const state = ledger.state()
  const standings = standingsOf(state.membership)
  const known = new Set([
    ...Object.keys(state.nodes),
    ...Object.values(state.membership.admits).map((a) => a.node),
    ...standings.members(),
  ])
  if (known.has(ref) || (opts.unknownOk && /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/.test(ref))) return ref
  const byName = [...known].filter((id) => state.nodes[id]?.name === ref)
  const byPrefix = ref.length >= 8 ? [...known].filter((id) => id.startsWith(ref)) : []
  const matches = [...new Set([...byName, ...byPrefix])]
  if (matches.length === 1) return matches[0]!
  throw FarmError.UNKNOWN_NODE(ref, matches.length === 0 ? 'none matches' : `${matches.length} match`)
}

/**
 * `farm remove`: writes `revoke`, which the founder may write for anyone but itself and an admin
 * for any member but an admin. The node's entries after the last one this node holds stop
 * counting on every node, and every member refuses its connections.
 */
export async function removeNode(ledger: Ledger, ref: string): Promise<MemberChange> {
  const node = resolveNode(ledger, ref)
  const standings = standingsOf(ledger.state().membership)
  const self = standings.of(ledger.author)
  const isRoot = ledger.state().membership.roots.includes(ledger.author)
  if (!self.admin || self.revoked) throw FarmError.NOT_ADMIN(`${ledger.author} may not remove ${node}`)
  if (node === ledger.author) throw FarmError.CANNOT_REMOVE(node, 'it is this node')
  if (ledger.state().membership.roots.includes(node))
    throw FarmError.CANNOT_REMOVE(node, "it is the swarm's founder")
  const target = standings.of(node)
  if (target.admin && !isRoot)
    throw FarmError.CANNOT_REMOVE(node, 'it is an admin: only the founder removes admins')
  if (target.revoked) throw FarmError.CANNOT_REMOVE(node, 'it was removed already')
  const last = (await ledger.clock())[node] ?? 0
  await ledger.append('revoke', { node, last })
  return { id: node, name: ledger.state().nodes[node]?.name ?? null, last }
}

/** `farm admit`: any member may admit a node by its peer id; only the founder makes an admin. */
export async function admitNode(ledger: Ledger, ref: string, admin: boolean): Promise<MemberChange> {
  const node = resolveNode(ledger, ref, { unknownOk: true })
  const state = ledger.state()
  const self = standingsOf(state.membership).of(ledger.author)
  if (!self.admitted || self.revoked)
    throw FarmError.NOT_ADMIN(`${ledger.author} is not a member, so it admits no one`)
  if (admin && !state.membership.roots.includes(ledger.author))
    throw FarmError.NOT_ADMIN(`${ledger.author} may not make ${node} an admin`)
  const target = standingsOf(state.membership).of(node)
  if (target.revoked)
    throw FarmError.BAD_REQUEST(`${node} was removed, and a removed node never comes back under its peer id`)
  await ledger.append('admit', admin ? { node, admin } : { node })
  return { id: node, name: state.nodes[node]?.name ?? null }
}
