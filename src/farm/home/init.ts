import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  createGenesis,
  encodeInvite,
  issueToken,
  loadOrCreateIdentity,
  writeSwarmGenesis,
} from '../../p2p/index.ts'
import { FarmError } from '../errors.ts'
import { freeTcpPort, inviteAddresses } from './addresses.ts'
import { defaultConfig, type NodeConfig, readConfig, writeConfig } from './config.ts'
import { FOUNDER_GRANT, grantFounder } from './genesis.ts'
import { tokenTerms } from './invite.ts'

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
 * `farm init`: a home for a new swarm: identity, the genesis this node signs as founder, the swarm
 * key derived from it, config, and a ledger that starts with the founder's grant; returns the
 * invite others join with (the default terms: a day, ten nodes).
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
  }
  const genesis = await createGenesis(key)
  await writeSwarmGenesis(home, genesis)
  await writeConfig(home, config)
  await grantFounder(home, key, id)
  const token = await issueToken(key, genesis, tokenTerms({}))
  const invite = encodeInvite({ genesis, token, addresses: inviteAddresses(listen, id) })
  return { id, config, granted: FOUNDER_GRANT, invite }
}
