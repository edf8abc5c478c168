/** The one error class of the swarm: callers branch on `code`, users read `message`. */
export class P2PError extends Error {
  readonly code: string
  readonly exitCode: number

  constructor(code: string, message: string, exitCode = 1) {
    super(message)
    this.name = 'P2PError'
    this.code = code
    this.exitCode = exitCode
  }

  static identityCorrupt(file: string, reason: string): P2PError {
    return new P2PError(
      'IDENTITY_CORRUPT',
      `the identity key ${file} cannot be read (${reason}): restore it from a backup, or move it away to make this node a new peer`,
      2,
    )
  }

  static identityExposed(file: string, mode: number): P2PError {
    return new P2PError(
      'IDENTITY_EXPOSED',
      `the identity key ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}): run \`chmod 600 ${file}\``,
      2,
    )
  }

  static swarmKeyInvalid(file: string, reason: string): P2PError {
    return new P2PError(
      'SWARM_KEY_INVALID',
      `the swarm key ${file} is not a valid pre-shared key (${reason}): join again with an invite (\`farm join <invite>\`)`,
      2,
    )
  }

  static inviteInvalid(reason: string): P2PError {
    return new P2PError(
      'INVITE_INVALID',
      `this invite is not valid: ${reason}. Copy the whole string printed by \`farm invite\` on a member`,
      2,
    )
  }

  static badHash(hash: string): P2PError {
    return new P2PError(
      'BAD_HASH',
      `'${hash}' is not a blob hash: blobs are named by 64 lowercase hex digits (sha256), never by a path or name`,
      2,
    )
  }

  static blobNotFound(hash: string, where: string): P2PError {
    return new P2PError('BLOB_NOT_FOUND', `blob ${hash} was not found ${where}`)
  }

  static blobMismatch(hash: string, got: string): P2PError {
    return new P2PError(
      'BLOB_MISMATCH',
      `blob ${hash} arrived with content hashing to ${got}: the transfer was refused and discarded`,
    )
  }

  static protocol(peer: string, reason: string): P2PError {
    return new P2PError('PROTOCOL', `peer ${peer} broke the protocol: ${reason}`)
  }

  static misbehaved(peer: string, reason: string): P2PError {
    return new P2PError(
      'PEER_MISBEHAVED',
      `peer ${peer} sent invalid ledger entries (${reason}) and was disconnected`,
    )
  }

  static dialFailed(addr: string, reason: string): P2PError {
    return new P2PError(
      'DIAL_FAILED',
      `could not connect to ${addr} (${reason}): check that the member is running and that your invite (swarm key) is from this swarm`,
    )
  }
}
