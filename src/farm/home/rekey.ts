import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  createGenesis,
  encodeInvite,
  issueToken,
  loadOrCreateIdentity,
  readGenesis,
  writeSwarmGenesis,
} from '../../p2p/index.ts'
import { callNode } from '../control/client.ts'
import { FarmError } from '../errors.ts'
import { inviteAddresses } from './addresses.ts'
import { readConfig } from './config.ts'
import { type InviteTerms, tokenTerms } from './invite.ts'

/**
 * `farm rekey`, on the founder's home with its node stopped: a new genesis, signed by the same
 * founder, and the new swarm key derived from it. The ledger carries over untouched (its root is
 * the founder, as before), so do credits and admissions; invites of the old genesis, and every
 * copy of the old key, reach no one once the members have moved. Each member moves by running
 * `farm join <the new invite>` on its home: a later genesis of the same founder replaces the old.
 * Returns that invite; it names the configured addresses, possibly none (a port chosen at each
 * start): members remember each other's addresses, and `farm invite` on the restarted node names
 * its live ones.
 */
export async function rekeyHome(home: string, terms: InviteTerms = {}): Promise<string> {
  const genesis = await readGenesis(home)
  if (genesis === undefined) throw FarmError.NO_GENESIS(home)
  const key = await loadOrCreateIdentity(home)
  if (peerIdFromPrivateKey(key).toString() !== genesis.fields.founder)
    throw FarmError.NOT_FOUNDER(home, genesis.fields.founder)
  const running = await callNode(home, 'status').then(
    () => true,
    (err: unknown) => !(err instanceof FarmError && err.code === 'NODE_NOT_RUNNING'),
  )
  if (running) throw FarmError.NODE_RUNNING(home)
  // The new genesis is later than the old by its time, which is how members tell it replaces it.
  const next = await createGenesis(key, Math.max(Date.now(), genesis.fields.created + 1))
  await writeSwarmGenesis(home, next, { replace: true })
  const addresses = inviteAddresses((await readConfig(home))?.listen ?? [], genesis.fields.founder)
  return encodeInvite({ genesis: next, token: await issueToken(key, next, tokenTerms(terms)), addresses })
}
