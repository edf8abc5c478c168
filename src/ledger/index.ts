/**
 * The ledger: one signed, hash-chained feed per node on LevelDB, replication logic that takes and
 * gives bytes (so any transport can carry it), and the deterministic fold into FarmState.
 */
import type { PrivateKey } from '@libp2p/interface'
import { Ledger, type OpenLedgerOptions } from './ledger.ts'

export type {
  AcceptBody,
  AdmitBody,
  BodyOf,
  CancelBody,
  CaptureBody,
  ClaimBody,
  EntryBody,
  EntryType,
  FailedBody,
  GrantBody,
  JobBody,
  MismatchBody,
  NodeBody,
  RenderedBody,
  RevokeBody,
  StitchedBody,
  VerifiedBody,
} from './bodies.ts'
export {
  bodyProblem,
  ENTRY_TYPES,
  isEntryType,
  MAX_CLAIM_FRAMES,
  MAX_INVITE_USES,
  MAX_JOB_FRAMES,
  MAX_LEASE_FIELD_MS,
} from './bodies.ts'
export { holdsAll, MAX_CLOCK_SKEW_MS } from './clock.ts'
export type { DecodedEntry, Entry, EntryFields } from './entry.ts'
export {
  decodeEntries,
  decodeEntry,
  ENTRY_VERSION,
  encodeEntries,
  encodeEntry,
  MAX_ENTRY_BYTES,
} from './entry.ts'
export { LedgerError, type LedgerErrorCode } from './errors.ts'
export { foldEntries, MemoryFold, membershipOf } from './fold.ts'
export { SHORT_ID_CHARS, shortJobId } from './ids.ts'
export type {
  EntriesListener,
  IngestResult,
  LedgerRefusal,
  MissingOptions,
  OpenLedgerOptions,
} from './ledger.ts'
export { Ledger } from './ledger.ts'
export {
  type AdmitRecord,
  forkedAt,
  forkedAuthors,
  inviteUses,
  type MembershipRecords,
  type RevokeRecord,
  type Standing,
  type Standings,
  standingsOf,
} from './membership.ts'
export { formatCredits } from './money.ts'
export * from './read.ts'
export * from './rules.ts'
export { SCENE_EXTENSIONS, sceneFileProblem } from './scene-file.ts'
export type {
  CaptureDay,
  ClaimRecord,
  Clock,
  FarmState,
  FrameRecord,
  JobRecord,
  LongestFrame,
  MismatchRecord,
  NodeRecord,
  ResultRecord,
  Settlement,
  Verdict,
  WorkerStats,
} from './state.ts'
export { safeStrings, safeText } from './text.ts'

/** Opens (creating if needed) the ledger at `path`, signing this node's entries with `privateKey` (ed25519). */
export async function openLedger(opts: {
  path: string
  privateKey: PrivateKey
  now?: () => number
  genesis?: readonly string[]
}): Promise<Ledger> {
  const ledger = new Ledger(opts satisfies OpenLedgerOptions)
  await ledger.open()
  return ledger
}
