import { P2PError, type Swarm } from '../../p2p/index.ts'
import { FarmError } from '../errors.ts'

/**
 * /farm/capture-have/1: "which of these frames (by sha256) do you keep a backup copy of?".
 * Only a node keeping backups answers; a peer without the protocol keeps none. A backup copy
 * is what counts, not the blob store, because the copy is what its owner restores from.
 */
export const CAPTURE_HAVE_PROTOCOL = '/farm/capture-have/1'

/** Hashes per query: 2,000 hex hashes are ~135 KB of CBOR, well under the query limit. */
export const HAVE_BATCH = 2000

const HASH = /^[0-9a-f]{64}$/

export async function answerCaptureHave(
  swarm: Swarm,
  holds: (hash: string) => Promise<boolean>,
): Promise<void> {
  await swarm.answer(CAPTURE_HAVE_PROTOCOL, async (request) => {
    const hashes = (request as { hashes?: unknown } | null)?.hashes
    if (!Array.isArray(hashes) || hashes.length > HAVE_BATCH || !hashes.every((h) => HASH.test(String(h)))) {
      return { error: `a request must be {hashes} with at most ${HAVE_BATCH} sha256 hex strings` }
    }
    return { held: await Promise.all(hashes.map((hash: string) => holds(hash))) }
  })
}

/** Which of `hashes` `peer` keeps a backup copy of; undefined when it keeps no backups. */
export async function askCaptureHave(
  swarm: Swarm,
  peer: string,
  hashes: string[],
): Promise<boolean[] | undefined> {
  // An empty question still tells whether the peer keeps backups at all.
  const batches: string[][] = []
  for (let at = 0; at === 0 || at < hashes.length; at += HAVE_BATCH)
    batches.push(hashes.slice(at, at + HAVE_BATCH))
  const held: boolean[] = []
  for (const batch of batches) {
    let answer: unknown
    try {
      answer = await swarm.ask(peer, CAPTURE_HAVE_PROTOCOL, { hashes: batch })
    } catch (err) {
      if (P2PError.is(err, 'PROTOCOL_UNSUPPORTED')) return undefined
      throw err
    }
    const got = (answer as { held?: unknown } | null)?.held
    if (!Array.isArray(got) || got.length !== batch.length) {
      const why = (answer as { error?: unknown } | null)?.error
      throw FarmError.BAD_PEER_ANSWER(peer, CAPTURE_HAVE_PROTOCOL, why)
    }
    held.push(...got.map((h) => h === true))
  }
  return held
}
