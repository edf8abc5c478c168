import { P2PError, reasonOf } from './errors.ts'

/**
 * Asks `candidates` for blob `hash` one at a time, in order, until `fetchFrom` gets it from one:
 * a peer that cannot be reached, lacks the blob or fails the transfer hands over to the next,
 * and only `signal` ends the search early. With one candidate its own error is thrown; with
 * several, one that says how many were tried and why each failed.
 */
export async function fetchFromEach(
  hash: string,
  candidates: string[],
  fetchFrom: (peer: string) => Promise<string>,
  opts: { signal?: AbortSignal; onFailure?: (peer: string, error: unknown) => void } = {},
): Promise<string> {
  if (candidates.length === 0)
    throw P2PError.BLOB_NOT_FOUND(hash, 'on any connected peer (none are connected)')
  const failures: { peer: string; error: unknown }[] = []
  for (const peer of candidates) {
    opts.signal?.throwIfAborted()
    try {
      return await fetchFrom(peer)
    } catch (err) {
      opts.signal?.throwIfAborted()
      failures.push({ peer, error: err })
      opts.onFailure?.(peer, err)
    }
  }
  if (failures.length === 1) throw failures[0]!.error
  if (failures.every((f) => P2PError.is(f.error, 'BLOB_NOT_FOUND')))
    throw P2PError.BLOB_NOT_FOUND(hash, `on any of the ${failures.length} connected peers`)
  throw P2PError.BLOB_UNAVAILABLE(
    hash,
    failures.map(({ peer, error }) => ({
      peer,
      reason: P2PError.is(error, 'BLOB_NOT_FOUND') ? 'does not have it' : reasonOf(error),
    })),
  )
}
