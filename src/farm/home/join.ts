import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  decodeInvite,
  isRekeyOf,
  loadOrCreateIdentity,
  readGenesis,
  readSwarmSecret,
  writeSwarmGenesis,
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
 * from it), or checks an existing home is that swarm, or moves it to the swarm's new key when
 * the invite carries a later genesis of the same founder (`farm rekey`); keeps the invite's
 * token for the node to present until a member admits it, remembers the invite's members, and
 * returns whom to dial now.
 */
export async function adoptInvite(home: string, text: string, opts: AdoptOptions = {}): Promise<string[]> {
  const invite = await decodeInvite(text)
  const existing = await readSwarmSecret(home)
  const current = await readGenesis(home)
  const self = peerIdFromPrivateKey(await loadOrCreateIdentity(home)).toString()
  if (existing === undefined) await writeSwarmGenesis(home, invite.genesis)
  else if (!Buffer.from(existing).equals(Buffer.from(invite.secret))) {
    if (current === undefined || !isRekeyOf(current, invite.genesis)) throw FarmError.WRONG_SWARM(home)
    await writeSwarmGenesis(home, invite.genesis, { replace: true })
  } else if (current === undefined) await writeSwarmGenesis(home, invite.genesis, { replace: true })
  const members = invite.addresses.filter((addr) => !addr.endsWith(`/p2p/${self}`))
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
