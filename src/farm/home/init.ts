import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeInvite, loadOrCreateIdentity, newSwarmSecret, writeSwarmSecret } from '../../p2p/index.ts'
import { FarmError } from '../errors.ts'
import { freeTcpPort, inviteAddresses } from './addresses.ts'
import { defaultConfig, type NodeConfig, readConfig, writeConfig } from './config.ts'
import { FOUNDER_GRANT, grantFounder } from './genesis.ts'

export interface InitOptions {
  name?: string
  owner?: string
  /** Default: every interface, on a TCP port chosen now and kept, so the invite stays valid. */
  listen?: string[]
}

export interface InitResult {
  id: string
  config: NodeConfig
  /** Milli-credits the founder's ledger granted it. */
  granted: number
  invite: string
}

/**
 * `farm init`: a home for a new swarm (identity, swarm key, config naming this node the founder)
 * whose ledger starts with the founder's grant; returns the invite others join with.
 */
export async function initHome(home: string, opts: InitOptions = {}): Promise<InitResult> {
  if ((await readConfig(home)) !== undefined || existsSync(join(home, 'swarm.key')))
    throw FarmError.HOME_IN_USE(home)
  const listen = opts.listen ?? [`/ip4/0.0.0.0/tcp/${await freeTcpPort()}`]
  const key = await loadOrCreateIdentity(home)
  const id = peerIdFromPrivateKey(key).toString()
  const config: NodeConfig = {
    ...defaultConfig(),
    listen,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.owner ? { owner: opts.owner } : {}),
    genesis: [id],
  }
  const secret = newSwarmSecret()
  await writeSwarmSecret(home, secret)
  await writeConfig(home, config)
  await grantFounder(home, key, id)
  const invite = encodeInvite({ secret, addresses: inviteAddresses(listen, id), genesis: [id] })
  return { id, config, granted: FOUNDER_GRANT, invite }
}
