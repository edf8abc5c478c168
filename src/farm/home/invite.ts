import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  encodeInvite,
  issueToken,
  loadOrCreateIdentity,
  readGenesis,
  readSwarmSecret,
} from '../../p2p/index.ts'
import { inviteAddresses } from './addresses.ts'
import { readConfig } from './config.ts'

/**
 * What an invite allows when `farm invite` is not told: a day, so one pasted into a chat is dead
 * by the next, and ten nodes, so a studio's machines (or a demo's) join from the one `farm init`
 * printed while a leaked one lets in few. `--expires` and `--uses` change either.
 */
export const DEFAULT_INVITE_MS = 24 * 3600_000
export const DEFAULT_INVITE_USES = 10

export interface InviteTerms {
  /** How long from now the invite is accepted. */
  expiresMs?: number
  uses?: number
}

/** The expiry time and uses a token is issued with. */
export function tokenTerms(terms: InviteTerms, now = Date.now()): { expires: number; uses: number } {
  return { expires: now + (terms.expiresMs ?? DEFAULT_INVITE_MS), uses: terms.uses ?? DEFAULT_INVITE_USES }
}

/**
 * An invite written while the node is not running, signed with the home's identity: its
 * configured addresses only (the running node's `invite` adds the members it is connected to).
 * Undefined when the home has no swarm or no address another machine could dial.
 */
export async function offlineInvite(home: string, terms: InviteTerms = {}): Promise<string | undefined> {
  const config = await readConfig(home)
  const genesis = await readGenesis(home)
  if (config === undefined || genesis === undefined || (await readSwarmSecret(home)) === undefined)
    return undefined
  const key = await loadOrCreateIdentity(home)
  const addresses = inviteAddresses(config.listen, peerIdFromPrivateKey(key).toString())
  if (addresses.length === 0) return undefined
  return encodeInvite({ genesis, token: await issueToken(key, genesis, tokenTerms(terms)), addresses })
}
