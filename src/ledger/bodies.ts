import { z } from 'zod'

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
export const MAX_LEASE_MS = 24 * 3600_000
export const MAX_JOB_FRAMES = 100_000

const node = z.strictObject({
  name: text(64),
  owner: text(64),
  renderers: z.array(z.strictObject({ name: text(32), version: z.string().max(64) })).max(16),
  cores: z.number().int().min(1).max(4096),
  wupm: z.number().finite().min(0).max(1_000_000),
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
  })
  .refine((j) => j.frames.last >= j.frames.first, 'frames.last is before frames.first')
  .refine(
    (j) => j.frames.last - j.frames.first < MAX_JOB_FRAMES,
    `a job has at most ${MAX_JOB_FRAMES} frames`,
  )

const onJob = z.strictObject({ job: jobId })

const claim = z.strictObject({
  job: jobId,
  frames: z
    .array(frame)
    .min(1)
    .max(MAX_CLAIM_FRAMES)
    .refine((f) => new Set(f).size === f.length, 'frames repeat'),
  leaseMs: z.number().int().min(1).max(MAX_LEASE_MS),
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
})

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
