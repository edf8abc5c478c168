/**
 * Every method of a running node's control socket: its parameters as a zod schema (checked at
 * the socket, so a handler only ever sees what the schema says) and its result as a type. The
 * server takes one handler per method and the client's `callNode` is typed from the same table,
 * so `farm` commands and the node cannot disagree about a method without the compiler noticing.
 */
import { z } from 'zod'
import { MAX_INVITE_USES } from '../../ledger/index.ts'
import type { PeerInfo } from '../../p2p/index.ts'
import type { PeerVerifyReport } from '../backup/capture-verify.ts'
import type { Credits, FrameLogs, JobDetail, JobSummary, NodeStatus, WorkerSummary } from '../jobs/summary.ts'
import type { MemberChange } from '../members/manage.ts'
import type { LedgerSummary } from '../node.ts'
import type { NodeHealth } from './health.ts'

const jobRef = z.strictObject({ id: z.string().min(1) })
const none = z.strictObject({})

/** `farm submit`'s request: a scene on the node's disk and what to make of it. */
export const jobSpecSchema = z.strictObject({
  /** The .pov or .blend file; its whole directory is packed with it. */
  scene: z.string().min(1),
  first: z.number().int(),
  last: z.number().int(),
  size: z.strictObject({ width: z.number().int().min(1), height: z.number().int().min(1) }).optional(),
  fps: z.number().int().min(1).optional(),
  /** `self` (the default) or the peer id of the node that verifies, pays and stitches. */
  stitcher: z.string().min(1).optional(),
  attempts: z.number().int().min(1).optional(),
  failFast: z.boolean().optional(),
  name: z.string().min(1).optional(),
  /** Milli-credits per WU. */
  pricePerWU: z.number().int().min(0).optional(),
  /** Milli-credits reserved for the job at submission; no payment goes beyond it. */
  budget: z.number().int().min(0).optional(),
  /** Share of each worker's frames (after its first ones) the stitcher re-renders to check. */
  verifyRate: z.number().min(0).max(1).optional(),
  maxArchiveBytes: z.number().int().min(1).optional(),
  /** A frame rendering longer than this is killed and counts as a failed attempt. */
  frameTimeoutMs: z.number().int().min(1000).optional(),
  /** The renderer's version the scene needs (default: the version this node renders with). */
  rendererVersion: z.string().min(1).max(32).optional(),
  /** Workers of any version of the renderer may take it. */
  anyVersion: z.boolean().optional(),
  /** Split the one frame asked into cols x rows tiles. */
  tiles: z.strictObject({ cols: z.number().int().min(1), rows: z.number().int().min(1) }).optional(),
  /** POV-Ray library directories (+L) whose files the scene includes. */
  libraries: z.array(z.string().min(1)).max(16).optional(),
  /** Submit even when files the scene names do not exist. */
  allowMissing: z.boolean().optional(),
})

/** What `farm submit` asks for; everything but the scene and the frames has a default. */
export type JobSpec = z.infer<typeof jobSpecSchema>

interface Method<P extends z.ZodType, R> {
  params: P
  /** Never read at run time: carries the result type for the client. */
  result?: R
}

function method<R>() {
  return <P extends z.ZodType>(params: P): Method<P, R> => ({ params })
}

export const CONTROL_API = {
  status: method<NodeStatus>()(none),
  health: method<NodeHealth>()(none),
  peers: method<PeerInfo[]>()(none),
  ledger: method<LedgerSummary>()(none),
  /** An invite signed by this node: `expiresMs` from now (default a day), for `uses` nodes (default 10). */
  invite: method<string>()(
    z.strictObject({
      expiresMs: z.number().int().min(1).optional(),
      uses: z.number().int().min(1).max(MAX_INVITE_USES).optional(),
    }),
  ),
  /** `node`: a peer id, a unique prefix of one or a unique node name. */
  remove: method<MemberChange>()(z.strictObject({ node: z.string().min(1) })),
  admit: method<MemberChange>()(z.strictObject({ node: z.string().min(1), admin: z.boolean().optional() })),
  submit: method<{ id: string; notes?: string[] }>()(jobSpecSchema),
  jobs: method<JobSummary[]>()(none),
  job: method<JobDetail>()(jobRef),
  workers: method<WorkerSummary[]>()(none),
  cancel: method<JobSummary>()(jobRef),
  /** A new price per WU (milli-credits) for a job this node submitted: the queue reorders at once. */
  reprice: method<JobSummary>()(
    z.strictObject({ id: z.string().min(1), pricePerWU: z.number().int().min(0) }),
  ),
  fetch: method<JobSummary & { path: string | null }>()(jobRef),
  logs: method<FrameLogs>()(z.strictObject({ id: z.string().min(1), frame: z.number().int() })),
  credits: method<Credits>()(none),
  /** `farm pause`/`resume`: this node's owner switch. */
  pause: method<{ id: string; paused: boolean }>()(z.strictObject({ paused: z.boolean() })),
  /** `farm workers --enable/--disable NODE`: one of this owner's nodes, by id, prefix or name. */
  enable: method<{ id: string; name: string | null; on: boolean }>()(
    z.strictObject({ node: z.string().min(1), on: z.boolean() }),
  ),
  /** Asked of the node inside a `farm capture --share` process by `farm capture verify --peers`. */
  'capture:verify-peers': method<PeerVerifyReport>()(z.strictObject({ dir: z.string().min(1) })),
}

export type ControlApi = typeof CONTROL_API
export type MethodName = keyof ControlApi
export type ParamsOf<M extends MethodName> = z.infer<ControlApi[M]['params']>
export type ResultOf<M extends MethodName> = NonNullable<ControlApi[M]['result']>
export type Handler<M extends MethodName> = (params: ParamsOf<M>) => Promise<ResultOf<M>>

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(CONTROL_API, name)
}
