import { z } from 'zod'
import { sceneFileProblem } from './scene-file.ts'

/**
 * The typed body of every entry type. Bodies are validated on append and on ingest with these
 * schemas, so the fold only ever sees well-formed data. Objects are strict: an unknown field is
 * a different (future) format and is refused rather than silently dropped, because the stored
 * bytes are what gets signed and replicated.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in lowercase hex')
const peerId = z.string().regex(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/, 'an ed25519 peer id')
const jobId = sha256
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const frame = z.number().int().min(0).max(1_000_000)
const text = (max: number) => z.string().min(1).max(max)

export const MAX_CLAIM_FRAMES = 1000
/**
 * What a claim's `leaseMs` field may say: entries written before leases were capped said up to a
 * day, and stay readable. What a lease holds is capped by the fold (rules.ts MAX_LEASE_MS).
 */
export const MAX_LEASE_FIELD_MS = 24 * 3600_000
export const MAX_JOB_FRAMES = 100_000

const node = z.strictObject({
  name: text(64),
  owner: text(64),
  renderers: z.array(z.strictObject({ name: text(32), version: z.string().max(64) })).max(16),
  cores: z.number().int().min(1).max(4096),
  wupm: z.number().finite().min(0).max(1_000_000),
  /** Present when the node renders other nodes' scenes without a sandbox (`farm join --unsafe-no-sandbox`). */
  noSandbox: z.literal(true).optional(),
  /**
   * The owner's limits (`farm join --schedule/--when-idle/--min-price`), announced so that every
   * node can tell why a worker takes nothing; absent when not set, so older bodies stay the same.
   */
  schedule: z
    .strictObject({
      /** Minutes after local midnight: renders from `from` until `to` (wrapping past midnight). */
      from: z.number().int().min(0).max(1439),
      to: z.number().int().min(0).max(1439),
      /** The machine's offset from UTC in minutes (east positive) when it wrote the entry. */
      utcOffset: z.number().int().min(-900).max(900),
    })
    .optional(),
  whenIdle: z.boolean().optional(),
  /** Milli-credits per WU: jobs of other owners priced below are not accepted. */
  minPrice: count.optional(),
})

const job = z
  .strictObject({
    name: text(128),
    scene: sha256,
    sceneFile: text(512),
    renderer: z.enum(['povray', 'blender']),
    frames: z.strictObject({ first: frame, last: frame }),
    size: z.strictObject({
      width: z.number().int().min(1).max(16384),
      height: z.number().int().min(1).max(16384),
    }),
    fps: z.number().int().min(1).max(240),
    pricePerWU: count,
    stitcher: peerId,
    attempts: z.number().int().min(1).max(100),
    failFast: z.boolean(),
    chunk: z.number().int().min(1).max(1000).optional(),
    /** Milli-credits the payer reserves for the job at submission (escrow); no payment goes beyond it. */
    budget: count.optional(),
    /** The share of each worker's frames (after its first ones) the stitcher re-renders to check; default 5 %. */
    verifyRate: z.number().min(0).max(1).optional(),
    /** A render over this long per frame is killed and counts as a failed attempt. */
    frameTimeoutMs: z.number().int().min(1000).max(MAX_LEASE_FIELD_MS).optional(),
    /** The renderer's version the scene was made with: workers of another major.minor do not take it... */
    rendererVersion: z
      .string()
      .regex(/^\d+\.\d+(\.\d+){0,3}$/, 'a version such as 3.4 or 3.4.1')
      .optional(),
    /** ...unless this is true. */
    anyVersion: z.boolean().optional(),
    /** A still split into tiles: the job's frames are its tiles 1..cols*rows, of this frame of the scene. */
    tiles: z
      .strictObject({
        frame,
        cols: z.number().int().min(1).max(64),
        rows: z.number().int().min(1).max(64),
      })
      .optional(),
    /** `files`: \`scene\` names a manifest of per-file blobs; absent: one ustar archive blob. */
    sceneFormat: z.enum(['files']).optional(),
    /** POV-Ray library directories inside the scene archive, searched after its root (+L). */
    libraries: z.array(text(512)).max(16).optional(),
  })
  .superRefine((j, ctx) => {
    const problem = sceneFileProblem(j.sceneFile, j.renderer)
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['sceneFile'], message: problem })
  })
  .refine((j) => j.frames.last >= j.frames.first, 'frames.last is before frames.first')
  .refine(
    (j) => j.frames.last - j.frames.first < MAX_JOB_FRAMES,
    `a job has at most ${MAX_JOB_FRAMES} frames`,
  )
  .refine(
    (j) =>
      !j.tiles ||
      (j.frames.first === 1 &&
        j.frames.last === j.tiles.cols * j.tiles.rows &&
        j.tiles.cols <= j.size.width &&
        j.tiles.rows <= j.size.height),
    'a tiled job has frames 1..cols*rows, each tile at least a pixel',
  )

const onJob = z.strictObject({ job: jobId })

const claim = z.strictObject({
  job: jobId,
  frames: z
    .array(frame)
    .min(1)
    .max(MAX_CLAIM_FRAMES)
    .refine((f) => new Set(f).size === f.length, 'frames repeat'),
  leaseMs: z.number().int().min(1).max(MAX_LEASE_FIELD_MS),
})

const rendered = z.strictObject({
  job: jobId,
  frame,
  file: sha256,
  pixelHash: text(128),
  renderMs: count,
  wu: count,
})

const failed = z.strictObject({
  job: jobId,
  frame,
  attempt: z.number().int().min(1).max(1000),
  error: z.string().max(4000),
})

const verified = z.strictObject({
  job: jobId,
  frame,
  worker: peerId,
  ok: z.boolean(),
  amount: count,
  /** The milli-WU paid for: the worker's report capped by what the verifier's sample says the frame costs. */
  wu: count.optional(),
  /** True when the verifier re-rendered the frame to check it. */
  checked: z.boolean().optional(),
  /**
   * True for the payment of a worker a third render cleared of a dispute about this frame: its
   * image was right, and it is paid though the third render was paid for the frame too.
   */
  cleared: z.boolean().optional(),
})

/**
 * A verifier's render of a frame disagreed with a worker's: both pixel hashes (or, for `wu`, the
 * worker reported far more WU than the frame cost the verifier). `open` until a third render
 * settles it: `cheat` when the third agrees with the verifier (the worker is blocked from the
 * job and forfeits what it earned on it), `cleared` when it agrees with the worker.
 */
const mismatch = z.strictObject({
  job: jobId,
  frame,
  worker: peerId,
  kind: z.enum(['pixels', 'wu']),
  pixelHash: text(128),
  verifierHash: text(128),
  verifier: peerId,
  ruling: z.enum(['open', 'cheat', 'cleared']),
  third: z.strictObject({ worker: peerId, pixelHash: text(128) }).optional(),
})

/** A new price per WU for a job, by its payer: the queue reorders at once. */
const reprice = z.strictObject({ job: jobId, pricePerWU: count })

/**
 * Which frames a verifier samples follows from a secret it commits to (sha256 of it) before its
 * first verdict on the job and reveals once the job is stitched: a worker cannot tell in advance
 * which of its frames will be checked, and anyone can check afterwards that the sample was fair.
 */
const sample = z.strictObject({ job: jobId, commit: sha256, secret: sha256.optional() })

/**
 * A worker switched on or off: `owner` by its owner from any of the owner's nodes (`farm pause`,
 * `farm workers --disable`), `busy` by the worker itself while its machine's own load is high
 * (`--when-idle`). Both must be on for the worker to claim.
 */
const toggle = z.strictObject({ node: peerId, on: z.boolean(), cause: z.enum(['owner', 'busy']) })

const stitched = z.strictObject({ job: jobId, video: sha256 })

const capture = z.strictObject({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a YYYY-MM-DD day'),
  time: z.string().regex(/^\d{6}$/, 'an HHmmss time'),
  file: sha256,
  bytes: count.optional(),
  width: z.number().int().min(1).max(65536).optional(),
  height: z.number().int().min(1).max(65536).optional(),
  /** The camera, as `farm capture` names it in its log (an http URL has its credentials removed). */
  source: z.string().max(256).optional(),
})

const grant = z.strictObject({ to: peerId, amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) })

/** Signed membership (membership.ts holds the rules): who may write entries that count. */
export const MAX_INVITE_USES = 1000

const admit = z.strictObject({
  node: peerId,
  /** Counts only when a root (the founder) wrote it: admins may remove members. */
  admin: z.boolean().optional(),
  /** The invite this admission spent one use of: its id (sha256 of the signed token) and its limit. */
  invite: z.strictObject({ id: sha256, uses: z.number().int().min(1).max(MAX_INVITE_USES) }).optional(),
})

/** `last`: the last seq of the node's feed that still counts (its head as the remover saw it). */
const revoke = z.strictObject({ node: peerId, last: count })

/**
 * A fork proof: two entries `a` and `b` (as encoded, signed by `author`) that cannot both be in
 * one feed: the same seq with different bytes, or `b` at a.seq + 1 not chaining to `a`. Either
 * way the author signed two histories from `seq` on; entry.ts checks the proof (signatures
 * included) before any node stores it, and from then on no entry of `author` from `seq` on
 * counts, on every node, whichever branch it saw (membership.ts).
 */
const encodedEntry = z.custom<Uint8Array>(
  (b) => b instanceof Uint8Array && b.length <= 16 * 1024,
  'an encoded entry of at most 16 KiB',
)
const fork = z.strictObject({
  author: peerId,
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  a: encodedEntry,
  b: encodedEntry,
})

export const bodySchemas = {
  node,
  job,
  accept: onJob,
  claim,
  rendered,
  failed,
  verified,
  stitched,
  cancel: onJob,
  capture,
  grant,
  admit,
  revoke,
  fork,
  mismatch,
  reprice,
  sample,
  toggle,
} as const

export type EntryType = keyof typeof bodySchemas
export const ENTRY_TYPES = Object.keys(bodySchemas) as EntryType[]

export type NodeBody = z.infer<typeof node>
export type JobBody = z.infer<typeof job>
export type AcceptBody = z.infer<typeof onJob>
export type ClaimBody = z.infer<typeof claim>
export type RenderedBody = z.infer<typeof rendered>
export type FailedBody = z.infer<typeof failed>
export type VerifiedBody = z.infer<typeof verified>
export type StitchedBody = z.infer<typeof stitched>
export type CancelBody = z.infer<typeof onJob>
export type CaptureBody = z.infer<typeof capture>
export type GrantBody = z.infer<typeof grant>
export type AdmitBody = z.infer<typeof admit>
export type RevokeBody = z.infer<typeof revoke>
export type ForkBody = z.infer<typeof fork>
export type MismatchBody = z.infer<typeof mismatch>
export type RepriceBody = z.infer<typeof reprice>
export type SampleBody = z.infer<typeof sample>
export type ToggleBody = z.infer<typeof toggle>

export interface BodyOf {
  node: NodeBody
  job: JobBody
  accept: AcceptBody
  claim: ClaimBody
  rendered: RenderedBody
  failed: FailedBody
  verified: VerifiedBody
  stitched: StitchedBody
  cancel: CancelBody
  capture: CaptureBody
  grant: GrantBody
  admit: AdmitBody
  revoke: RevokeBody
  fork: ForkBody
  mismatch: MismatchBody
  reprice: RepriceBody
  sample: SampleBody
  toggle: ToggleBody
}
export type EntryBody = BodyOf[EntryType]

export function isEntryType(type: unknown): type is EntryType {
  return typeof type === 'string' && Object.hasOwn(bodySchemas, type)
}

/** Returns a readable reason when `body` is not a valid body of `type`, else undefined. */
export function bodyProblem(type: EntryType, body: unknown): string | undefined {
  const result = bodySchemas[type].safeParse(body)
  if (result.success) return undefined
  return result.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ')
}
