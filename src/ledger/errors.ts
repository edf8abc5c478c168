export type LedgerErrorCode =
  | 'BAD_ARGUMENT'
  | 'BAD_ENCODING'
  | 'OVERSIZE'
  | 'UNKNOWN_VERSION'
  | 'UNKNOWN_TYPE'
  | 'BAD_AUTHOR'
  | 'BAD_SIGNATURE'
  | 'BAD_SCHEMA'
  | 'BAD_PREV'
  | 'BAD_LAMPORT'
  | 'BAD_CLOCK'
  | 'FORK'
  | 'FORKED_AUTHOR'
  | 'LOCKED'
  | 'CLOSED'
  | 'CORRUPT'

/**
 * The ledger's one error class. Callers branch on `code`; users read `message`, which names the
 * entry at fault and what to do. Refusals of received entries carry the author and seq so the
 * p2p part can tell which peer misbehaved.
 */
export class LedgerError extends Error {
  readonly code: LedgerErrorCode
  readonly exitCode: number
  readonly author: string | undefined
  readonly seq: number | undefined

  private constructor(
    code: LedgerErrorCode,
    message: string,
    opts: { author?: string; seq?: number; exitCode?: number } = {},
  ) {
    super(message)
    this.name = 'LedgerError'
    this.code = code
    this.author = opts.author
    this.seq = opts.seq
    this.exitCode = opts.exitCode ?? 1
  }

  static BAD_ARGUMENT(message: string) {
    return new LedgerError('BAD_ARGUMENT', message, { exitCode: 2 })
  }

  static BAD_ENCODING(reason: string) {
    return new LedgerError('BAD_ENCODING', `ledger entry is not a valid encoded entry: ${reason}`)
  }

  static OVERSIZE(bytes: number, max: number, at: At = {}) {
    return new LedgerError(
      'OVERSIZE',
      `ledger entry${where(at)} is ${bytes} bytes, over the ${max}-byte limit`,
      at,
    )
  }

  static UNKNOWN_VERSION(v: unknown, at: At) {
    return new LedgerError(
      'UNKNOWN_VERSION',
      `ledger entry${where(at)} has version ${String(v)}; this farm reads version 1: upgrade farm`,
      at,
    )
  }

  static UNKNOWN_TYPE(type: unknown, at: At) {
    return new LedgerError(
      'UNKNOWN_TYPE',
      `ledger entry${where(at)} has unknown type ${JSON.stringify(type)}`,
      at,
    )
  }

  static BAD_AUTHOR(author: unknown) {
    return new LedgerError(
      'BAD_AUTHOR',
      `ledger entry author ${JSON.stringify(author)} is not an ed25519 peer id`,
    )
  }

  static BAD_SIGNATURE(at: At) {
    return new LedgerError('BAD_SIGNATURE', `ledger entry${where(at)} is not signed by its author's key`, at)
  }

  static BAD_SCHEMA(type: string, reason: string, at: At = {}) {
    return new LedgerError('BAD_SCHEMA', `ledger ${type} entry${where(at)} has an invalid body: ${reason}`, {
      ...at,
      exitCode: 2,
    })
  }

  static BAD_PREV(at: At) {
    return new LedgerError(
      'BAD_PREV',
      `ledger entry${where(at)} does not chain to the author's previous entry`,
      at,
    )
  }

  static BAD_LAMPORT(at: At) {
    return new LedgerError(
      'BAD_LAMPORT',
      `ledger entry${where(at)} has a Lamport clock or timestamp lower than its predecessor`,
      at,
    )
  }

  static BAD_CLOCK(lamport: number, ts: number, at: At) {
    return new LedgerError(
      'BAD_CLOCK',
      `ledger entry${where(at)} has Lamport clock ${lamport}, beyond its timestamp ${ts}: a clock that runs away is refused`,
      at,
    )
  }

  static FORK(at: At) {
    return new LedgerError(
      'FORK',
      `ledger entry${where(at)} forks its author's feed: the proof is kept and the author is ignored from now on`,
      at,
    )
  }

  static FORKED_AUTHOR(at: At) {
    return new LedgerError(
      'FORKED_AUTHOR',
      `ledger entry${where(at)} comes from an author that forked its feed; it is ignored`,
      at,
    )
  }

  static LOCKED(path: string) {
    return new LedgerError(
      'LOCKED',
      `the ledger at ${path} is in use by another farm process: stop that node, or give this one its own --home`,
      { exitCode: 2 },
    )
  }

  static CLOSED() {
    return new LedgerError('CLOSED', 'the ledger is closed: open it again with openLedger()')
  }

  static CORRUPT(path: string, reason: string) {
    return new LedgerError(
      'CORRUPT',
      `the ledger store at ${path} is inconsistent (${reason}): move it aside and resync from peers`,
    )
  }
}

interface At {
  author?: string
  seq?: number
}

function where(at: At): string {
  return at.author === undefined ? '' : ` ${at.seq ?? '?'} of ${at.author}`
}
