import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  decodeInvite,
  loadOrCreateIdentity,
  readGenesis,
  readSwarmSecret,
  writeGenesis,
  writeSwarmSecret,
} from '../../p2p/index.ts'
import { FarmError } from '../errors.ts'
import { freeTcpPort } from './addresses.ts'
import { defaultConfig, readConfig, rememberMembers, writeConfig } from './config.ts'
import { writePendingInvite } from './pending-invite.ts'

export interface AdoptOptions {
  listen?: string[]
  name?: string
  owner?: string
}

/**
 * `farm join <invite>`: creates the home for the invite's swarm (its genesis and the key derived
 * from it), or checks an existing home is that swarm, keeps the invite's token for the node to
 * present until a member admits it, remembers the invite's members, and returns whom to dial now.
 */
export async function adoptInvite(home: string, text: string, opts: AdoptOptions = {}): Promise<string[]> {
  const invite = await decodeInvite(text)
  const existing = await readSwarmSecret(home)
  if (existing !== undefined && !Buffer.from(existing).equals(Buffer.from(invite.secret)))
    throw FarmError.WRONG_SWARM(home)
  const self = peerIdFromPrivateKey(await loadOrCreateIdentity(home)).toString()
  const members = invite.addresses.filter((addr) => !addr.endsWith(`/p2p/${self}`))
  if (existing === undefined) await writeSwarmSecret(home, invite.secret)
  if ((await readGenesis(home)) === undefined) await writeGenesis(home, invite.genesis)
  await writePendingInvite(home, invite.token)
  const config = (await readConfig(home)) ?? {
    ...defaultConfig(),
    listen: opts.listen ?? [`/ip4/0.0.0.0/tcp/${await freeTcpPort()}`],
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.owner ? { owner: opts.owner } : {}),
  }
  // Remembered, so a restart without the invite still finds the swarm.
  await writeConfig(home, rememberMembers(config, members))
  return members
}

/** Fails with what to do when `home` has joined no swarm. */
export async function requireJoined(home: string): Promise<void> {
  if ((await readConfig(home)) === undefined) throw FarmError.NOT_JOINED(home)
}
