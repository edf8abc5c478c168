import { createHash } from 'node:crypto'

/**
 * Which results a verifier re-renders, and how much a frame may be paid for. Plain functions:
 * the stitcher decides with them, the tests and the README state their numbers.
 */

/** Each worker's first frames on a job are always checked: a cheat is caught before it earns. */
export const FIRST_CHECKED = 2
/** Then this share of its frames, chosen by the verifier's committed secret (`farm submit --verify-rate`). */
export const DEFAULT_VERIFY_RATE = 0.05
/**
 * Two images of a frame whose pixels differ still match above this PSNR. Measured here at
 * 160x120: POV-Ray area light with `jitter`, two renders 57.9 dB; the same scene with a box
 * moved by 0.05 units 38.0 dB; Blender Cycles at 1 and 2 threads pixel-identical; two
 * neighbouring frames of the spinning-top example 49.0 dB.
 */
export const PSNR_MIN_DB = 50
/**
 * A worker may report up to this many times the WU the verifier measured for the same frame
 * (render times vary with load and with the start-up a chunk shares); more on a checked frame
 * is a mismatch, and a frame is never paid for more than this times what the sample says.
 */
export const WU_TOLERANCE = 3

/**
 * Whether frame n of a job is in the verifier's sample: a hash of its secret, the job and the
 * frame, below the rate. The same frames for every worker, unknown to all until the secret is
 * revealed.
 */
export function sampled(secret: string, job: string, frame: number, rate: number): boolean {
  const h = createHash('sha256').update(`farm-sample-v1 ${secret} ${job} ${frame}`).digest()
  return h.readUInt32BE(0) / 2 ** 32 < rate
}

/** The commitment written before any verdict: sha256 of the secret. */
export function commitmentOf(secret: string): string {
  return createHash('sha256').update(`farm-sample-commit-v1 ${secret}`).digest('hex')
}

/** The milli-WU paid for a frame: what its worker reported, capped by what the sample says it costs. */
export function cappedMilliWU(reported: number, expected: number | undefined): number {
  if (expected === undefined) return reported
  return Math.min(reported, Math.round(expected * WU_TOLERANCE))
}

/** Whether a worker's report is far above the WU the verifier measured for the same frame. */
export function overclaimed(reported: number, measured: number): boolean {
  return reported > Math.max(1, measured) * WU_TOLERANCE
}
