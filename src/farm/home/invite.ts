import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeInvite, loadOrCreateIdentity, readSwarmSecret } from '../../p2p/index.ts'
import { inviteAddresses } from './addresses.ts'
import { readConfig } from './config.ts'

/**
 * An invite written while the node is not running: its configured addresses only (the running
 * node's `invite` adds the members it is connected to). Undefined when the home has no swarm or
 * no address another machine could dial.
 */
export async function offlineInvite(home: string): Promise<string | undefined> {
  const config = await readConfig(home)
  const secret = await readSwarmSecret(home)
  if (config === undefined || secret === undefined) return undefined
  const id = peerIdFromPrivateKey(await loadOrCreateIdentity(home)).toString()
  const addresses = inviteAddresses(config.listen, id)
  return addresses.length > 0 ? encodeInvite({ secret, addresses, genesis: config.genesis }) : undefined
}
