export type P2PErrorCode =
  | 'IDENTITY_CORRUPT'
  | 'IDENTITY_EXPOSED'
  | 'SWARM_KEY_INVALID'
  | 'SECRET_EXPOSED'
  | 'GENESIS_INVALID'
  | 'INVITE_INVALID'
  | 'BAD_HASH'
  | 'BLOB_NOT_FOUND'
  | 'BLOB_UNAVAILABLE'
  | 'BLOB_MISMATCH'
  | 'PROTOCOL'
  | 'PEER_MISBEHAVED'
  | 'STREAM_ENDED'
  | 'MESSAGE_TOO_LARGE'
  | 'QUERY_TOO_LARGE'
  | 'DIAL_FAILED'
  | 'STREAM_OPEN_FAILED'
  | 'PROTOCOL_UNSUPPORTED'
  | 'NOT_STARTED'
  | 'NO_GENESIS'

/**
 * The p2p part's one error class. Callers branch on `code` (`P2PError.is(err, 'BLOB_NOT_FOUND')`);
 * users read `message`, which names the thing at fault, what happened and, when the user can do
 * something, what to do: `<thing> <what happened> (<detail>): <what to do>`. Codes caused by the
 * user's own files or input carry exitCode 2.
 */
export class P2PError extends Error {
  readonly code: P2PErrorCode
  readonly exitCode: number

  constructor(code: P2PErrorCode, message: string, exitCode = 1) {
    super(message)
    this.name = 'P2PError'
    this.code = code
    this.exitCode = exitCode
  }

  /** Whether `err` is a P2PError, of `code` when given. */
  static is(err: unknown, code?: P2PErrorCode): err is P2PError {
    return err instanceof P2PError && (code === undefined || err.code === code)
  }

  static IDENTITY_CORRUPT(file: string, reason: string) {
    return new P2PError(
      'IDENTITY_CORRUPT',
      `the identity key ${file} cannot be read (${reason}): restore it from a backup, or move it away to make this node a new peer`,
      2,
    )
  }

  static IDENTITY_EXPOSED(file: string, mode: number) {
    return new P2PError(
      'IDENTITY_EXPOSED',
      `the identity key ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}): run \`chmod 600 ${file}\``,
      2,
    )
  }

  static SWARM_KEY_INVALID(file: string, reason: string) {
    return new P2PError(
      'SWARM_KEY_INVALID',
      `the swarm key ${file} is not a valid pre-shared key (${reason}): join again with an invite (\`farm join <invite>\`)`,
      2,
    )
  }

  /** A swarm key or genesis other users can read: either lets them into the swarm. */
  static SECRET_EXPOSED(what: string, file: string, mode: number) {
    return new P2PError(
      'SECRET_EXPOSED',
      `the ${what} ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}): run \`chmod 600 ${file}\``,
      2,
    )
  }

  static GENESIS_INVALID(where: string, reason: string) {
    return new P2PError(
      'GENESIS_INVALID',
      `the swarm genesis in ${where} is not valid (${reason}): join again with an invite from a member (\`farm join <invite>\`)`,
      2,
    )
  }

  static INVITE_INVALID(reason: string) {
    return new P2PError(
      'INVITE_INVALID',
      `this invite is not valid (${reason}): copy the whole string printed by \`farm invite\` on a member`,
      2,
    )
  }

  static BAD_HASH(hash: string) {
    return new P2PError(
      'BAD_HASH',
      `'${hash}' is not a blob hash: blobs are named by 64 lowercase hex digits (sha256), never by a path or name`,
      2,
    )
  }

  static BLOB_NOT_FOUND(hash: string, where: string) {
    return new P2PError('BLOB_NOT_FOUND', `blob ${hash} was not found ${where}`)
  }

  /** Every peer asked failed to give the blob, at least one for another reason than not having it. */
  static BLOB_UNAVAILABLE(hash: string, failures: { peer: string; reason: string }[]) {
    const why = failures.map((f) => `${f.peer}: ${f.reason}`).join('; ')
    return new P2PError(
      'BLOB_UNAVAILABLE',
      `blob ${hash} could not be fetched from any of the ${failures.length} peers tried (${why})`,
    )
  }

  static BLOB_MISMATCH(hash: string, got: string) {
    return new P2PError(
      'BLOB_MISMATCH',
      `blob ${hash} arrived with content hashing to ${got}: the transfer was refused and discarded`,
    )
  }

  static PROTOCOL(peer: string, reason: string) {
    return new P2PError('PROTOCOL', `peer ${peer} broke the protocol (${reason})`)
  }

  static PEER_MISBEHAVED(peer: string, reason: string) {
    return new P2PError(
      'PEER_MISBEHAVED',
      `peer ${peer} sent invalid ledger entries (${reason}) and was disconnected`,
    )
  }

  static STREAM_ENDED(peer: string) {
    return new P2PError('STREAM_ENDED', `peer ${peer} closed the stream in the middle of a message`)
  }

  static MESSAGE_TOO_LARGE(peer: string, bytes: number, max: number) {
    return new P2PError(
      'MESSAGE_TOO_LARGE',
      `peer ${peer} announced a ${bytes}-byte message, over the ${max}-byte limit: it was not read`,
    )
  }

  static QUERY_TOO_LARGE(bytes: number, max: number) {
    return new P2PError(
      'QUERY_TOO_LARGE',
      `a query message of ${bytes} bytes is over the ${max}-byte limit: ask for less at once`,
    )
  }

  static DIAL_FAILED(addr: string, reason: string) {
    return new P2PError(
      'DIAL_FAILED',
      `could not connect to ${addr} (${reason}): check that the member is running and that your invite (swarm key) is from this swarm`,
    )
  }

  static STREAM_OPEN_FAILED(peer: string, protocol: string, reason: string) {
    return new P2PError('STREAM_OPEN_FAILED', `could not open ${protocol} with peer ${peer} (${reason})`)
  }

  static PROTOCOL_UNSUPPORTED(peer: string, protocol: string) {
    return new P2PError('PROTOCOL_UNSUPPORTED', `peer ${peer} does not speak ${protocol}`)
  }

  static NO_GENESIS() {
    return new P2PError(
      'NO_GENESIS',
      'this swarm was started without its genesis, so it cannot issue invites',
    )
  }

  static NOT_STARTED() {
    return new P2PError('NOT_STARTED', 'the swarm is not started: call start() first')
  }
}

/** An error as the detail of a log line or of another error: libp2p's names say what failed. */
export function reasonOf(err: unknown): string {
  if (err instanceof P2PError) return err.message
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}
