export type { MembershipView, PeerStanding } from './admission.ts'
export { assertBlobHash, BlobStore } from './blob-store.ts'
export { ADMIT_PROTOCOL } from './constants.ts'
export { P2PError, type P2PErrorCode } from './errors.ts'
export type { Clock, IngestResult, LedgerRefusal, ReplicatedFeed } from './feed.ts'
export {
  createGenesis,
  type GenesisFields,
  isRekeyOf,
  openGenesis,
  readGenesis,
  type SignedGenesis,
  swarmSecretOf,
  writeSwarmGenesis,
} from './genesis.ts'
export { loadOrCreateIdentity } from './identity.ts'
export {
  decodeInvite,
  encodeInvite,
  type Invite,
  type InviteToken,
  issueToken,
  MAX_INVITE_ADDRESSES,
  openToken,
  type TokenFields,
} from './invite.ts'
export {
  createFarmLibp2p,
  type FarmLibp2pInit,
  type FarmServices,
  type SwarmConnection,
  type SwarmLibp2p,
  type SwarmStreamHandler,
} from './libp2p-node.ts'
export type { NatStatus } from './nat/nat-service.ts'
export type { PeerPath, RelayMode } from './nat/reach.ts'
export type { QueryHandler } from './query.ts'
export {
  createSwarm,
  type PeerInfo,
  Swarm,
  type SwarmComponents,
  type SwarmEvents,
  type SwarmInit,
  type SwarmLogLevel,
} from './swarm.ts'
export { newSwarmSecret, readSwarmSecret, writeSwarmSecret } from './swarm-key.ts'
export type { SyncOutcome } from './sync.ts'
