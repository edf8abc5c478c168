/**
 * Weighted rendezvous (highest random weight) hashing: every node computes, from nothing but
 * the job id, the frame and the worker ids, which worker a frame belongs to, so workers take
 * different frames without talking. The weight (a worker's WUPM) makes a worker's share of
 * frames proportional to its speed, so stealing only has to even out what the hash did not.
 */

/**
 * A uniform number in (0, 1) for (job, frame, worker): cyrb53, a 53-bit string hash, because
 * it is the same on every node, needs no crypto, and the scheduler draws 100k of these per job.
 */
function rendezvousUniform(job: string, frame: number, worker: string): number {
  const key = `${job}\u0000${frame}\u0000${worker}`
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  const bits = 4294967296 * (2097151 & h2) + (h1 >>> 0)
  return (bits + 0.5) / 2 ** 53
}

const MAX_CACHED = 512
const cache = new Map<string, Float64Array>()

/**
 * A worker's unit-weight scores for frames first..last of a job, -1 / ln(u): multiplied by the
 * worker's weight, the highest score wins, and P(worker wins) = weight / total weight.
 * Memoised: they depend on the ids alone, and the scheduler asks again each time a worker looks
 * for its next frame.
 */
export function rendezvousScores(job: string, worker: string, first: number, last: number): Float64Array {
  const key = `${job}\u0000${worker}\u0000${first}\u0000${last}`
  const hit = cache.get(key)
  if (hit) return hit
  const scores = new Float64Array(last - first + 1)
  for (let frame = first; frame <= last; frame++)
    scores[frame - first] = -1 / Math.log(rendezvousUniform(job, frame, worker))
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!)
  cache.set(key, scores)
  return scores
}
