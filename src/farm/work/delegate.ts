import { blockedWorker, type JobRecord, rendersJob, safeText, suspectOn } from '../../ledger/index.ts'
import { P2PError } from '../../p2p/index.ts'
import type { SceneSource } from './stitcher.ts'
import { type OwnRender, Verifier } from './verifier.ts'
import type { WorkerHost } from './worker.ts'

/**
 * /farm/verify/1: a job's stitcher that cannot re-render the job itself (it has not the
 * renderer, cannot sandbox another owner's scene, or renders nothing: `--no-render`) asks a
 * worker that accepted the job to render a frame for it, so that frames are checked on every
 * job. The request is `{job, frame}`; the answer `{state: 'rendering'}` while the delegate
 * works on it (the stitcher asks again on its next pass: a render outlasts any stream's read
 * timeout), `{state: 'busy'}` when it holds as many checks as it takes, `{state: 'done', file,
 * pixelHash, costMs}` once the image is in the delegate's blob store, or `{error}` (the
 * stitcher then asks another).
 */
export const VERIFY_PROTOCOL = '/farm/verify/1'

/** Checks a delegate holds at once (one renders, the rest wait): a stitcher asks few at a time, and a peer cannot queue more work than this. */
const MAX_CHECKS_QUEUED = 4
/** Finished checks a delegate remembers for their stitcher to collect. */
const MAX_CHECKS_KEPT = 64

export type CheckAnswer =
  | { state: 'rendering' }
  /** The delegate holds MAX_CHECKS_QUEUED checks already: ask again later. */
  | { state: 'busy' }
  | { state: 'done'; file: string; pixelHash: string; costMs: number }
  | { error: string }

const HASH = /^[0-9a-f]{64}$/

/**
 * The delegate's side: renders the frames a job's stitcher asks it to check, one at a time,
 * sandboxed as any render of another owner's scene, and only for a job it accepted and whose
 * stitcher asks. It keeps each image in its blob store for the stitcher to fetch.
 */
export class DelegatedChecks {
  private readonly host: WorkerHost
  private readonly scenes: SceneSource
  private readonly verifier: Verifier
  private readonly checks = new Map<string, Promise<OwnRender> | OwnRender | Error>()
  private queue: Promise<unknown> = Promise.resolve()
  private waiting = 0

  constructor(host: WorkerHost, scenes: SceneSource, signal: AbortSignal) {
    this.host = host
    this.scenes = scenes
    this.verifier = new Verifier(host, (job, n, outDir, s) => scenes.renderUnit(job, n, outDir, s), signal)
  }

  async answer(request: unknown, peer: string): Promise<CheckAnswer> {
    const { job: id, frame: n } = (request ?? {}) as { job?: unknown; frame?: unknown }
    if (typeof id !== 'string' || !HASH.test(id) || !Number.isSafeInteger(n))
      return { error: 'a check request is {job, frame}: a job id and a frame number' }
    const job = this.host.ledger.state().jobs[id]
    const refused = job ? this.refusal(job, n as number, peer) : 'no job of that id is known here'
    if (refused) return { error: refused }
    const key = `${id}!${n}`
    const known = this.checks.get(key)
    if (known instanceof Error) return { error: `its render failed here: ${known.message}` }
    if (known && !(known instanceof Promise)) return { state: 'done', ...shareable(known) }
    if (known) return { state: 'rendering' }
    if (this.waiting >= MAX_CHECKS_QUEUED) return { state: 'busy' }
    this.start(key, job!, n as number)
    return { state: 'rendering' }
  }

  /** Why this node does not check frame n of the job for `peer`; undefined when it does. */
  private refusal(job: JobRecord, n: number, peer: string): string | undefined {
    const spec = job.spec
    if (!spec || job.settled) return 'the job is not in progress here'
    if (peer !== spec.stitcher) return "only the job's stitcher asks for its frames to be checked"
    if (job.accepted[this.host.id] === undefined) return 'this node has not accepted the job'
    if (n < spec.frames.first || n > spec.frames.last) return `the job has no frame ${n}`
    if (!this.scenes.checksJob(job)) return "this node cannot render the job's scene in its sandbox"
    return undefined
  }

  private start(key: string, job: JobRecord, n: number): void {
    this.waiting += 1
    const run = this.queue.then(() => this.verifier.render(job, n))
    this.queue = run.catch(() => undefined)
    this.checks.set(key, run)
    void run
      .then(
        (own) => {
          this.checks.set(key, own)
        },
        (err: Error) => {
          this.checks.set(key, err)
          this.host.log(
            'warn',
            `check of frame ${n} of ${safeText(job.spec!.name)} for its stitcher failed: ${err.message}`,
          )
        },
      )
      .finally(() => {
        this.waiting -= 1
        this.forgetOld()
      })
  }

  private forgetOld(): void {
    for (const [key, value] of this.checks) {
      if (this.checks.size <= MAX_CHECKS_KEPT) return
      if (!(value instanceof Promise)) this.checks.delete(key)
    }
  }
}

function shareable(own: OwnRender) {
  return { file: own.hash, pixelHash: own.pixelHash, costMs: own.costMs }
}

/** Answers check requests for this node's delegated checks until the swarm stops. */
export async function answerChecks(host: WorkerHost, checks: DelegatedChecks): Promise<void> {
  await host.swarm.answer(VERIFY_PROTOCOL, (request, peer) => checks.answer(request, peer))
}

/** A delegated render of a frame, as the stitcher keeps it: whose it is, to measure its WU with that node's WUPM. */
export interface DelegatedRender extends OwnRender {
  by: string
}

/**
 * The stitcher's side: picks a delegate for a frame (a worker that accepted the job and renders
 * its renderer, connected, never one of `exclude`: the worker checked, or both sides of a
 * dispute), asks it, and fetches its image once done. `pending` while the render runs;
 * undefined when no node can check the frame now.
 */
export class CheckDelegation {
  private readonly host: WorkerHost
  private readonly signal: AbortSignal
  /** `${job}!${frame}` -> the delegate asked, then its render once fetched. */
  private readonly asked = new Map<string, string>()
  private readonly renders = new Map<string, DelegatedRender>()
  /** job -> delegates that refused or failed one of its checks: not asked for that job again. */
  private readonly refused = new Map<string, Set<string>>()

  constructor(host: WorkerHost, signal: AbortSignal) {
    this.host = host
    this.signal = signal
  }

  known(job: string, n: number): DelegatedRender | undefined {
    return this.renders.get(`${job}!${n}`)
  }

  /** Whether some node could check the job's frames for this one now. */
  anyDelegate(job: JobRecord, exclude: readonly string[]): boolean {
    return this.eligible(job, exclude).length > 0
  }

  async render(
    job: JobRecord,
    n: number,
    exclude: readonly string[],
  ): Promise<DelegatedRender | 'pending' | undefined> {
    const key = `${job.id}!${n}`
    const done = this.renders.get(key)
    if (done) return done
    let delegate = this.asked.get(key)
    if (delegate !== undefined && exclude.includes(delegate)) delegate = undefined
    delegate ??= this.mostTrusted(job, this.eligible(job, exclude))
    if (delegate === undefined) return undefined
    this.asked.set(key, delegate)
    const answer = await this.ask(delegate, job, n)
    if ('error' in answer) {
      this.host.log(
        'warn',
        `${delegate} does not check frame ${n} of ${safeText(job.spec!.name)}: ${answer.error}`,
      )
      this.refuse(job.id, delegate)
      this.asked.delete(key)
      return 'pending'
    }
    if (answer.state !== 'done') return 'pending'
    const file = await this.host.swarm
      .fetchBlob(answer.file, { from: delegate, signal: this.signal })
      .catch(() => undefined)
    if (file === undefined) return 'pending'
    const own = { file, hash: answer.file, pixelHash: answer.pixelHash, costMs: answer.costMs, by: delegate }
    this.renders.set(key, own)
    return own
  }

  private async ask(delegate: string, job: JobRecord, n: number): Promise<CheckAnswer> {
    let answer: unknown
    try {
      answer = await this.host.swarm.ask(
        delegate,
        VERIFY_PROTOCOL,
        { job: job.id, frame: n },
        { signal: this.signal },
      )
    } catch (err) {
      if (P2PError.is(err, 'PROTOCOL_UNSUPPORTED')) return { error: 'it does not check frames for others' }
      return { error: (err as Error).message }
    }
    return validAnswer(answer) ?? { error: 'its answer is not a check answer' }
  }

  private refuse(job: string, delegate: string): void {
    const set = this.refused.get(job) ?? new Set<string>()
    set.add(delegate)
    this.refused.set(job, set)
  }

  /**
   * Workers that may check the job's frames for this node: connected, accepted the job, render
   * its renderer, neither blocked from it nor under suspicion on it, and not one of `exclude`.
   */
  private eligible(job: JobRecord, exclude: readonly string[]): string[] {
    const spec = job.spec
    if (!spec) return []
    const state = this.host.ledger.state()
    const connected = new Set(this.host.peers().map((p) => p.id))
    const refused = this.refused.get(job.id)
    return Object.keys(job.accepted).filter((id) => {
      if (id === this.host.id || exclude.includes(id) || !connected.has(id) || refused?.has(id)) return false
      const node = state.nodes[id]
      return node !== undefined && rendersJob(node, spec) && !blockedWorker(job, id) && !suspectOn(job, id)
    })
  }

  /**
   * Of `ids`, the one whose own frames of the job this node found right most often (a check is
   * only as good as its renderer), then the first in peer id order; undefined when none. Only
   * when a delegate is picked: it reads every verdict of the job.
   */
  private mostTrusted(job: JobRecord, ids: readonly string[]): string | undefined {
    if (ids.length === 0) return undefined
    const trusted = new Map<string, number>()
    for (const frame of Object.values(job.frames))
      for (const v of Object.values(frame.verdicts))
        if (v.by === this.host.id && v.ok && v.checked)
          trusted.set(v.worker, (trusted.get(v.worker) ?? 0) + 1)
    return [...ids].sort((x, y) => (trusted.get(y) ?? 0) - (trusted.get(x) ?? 0) || (x < y ? -1 : 1))[0]
  }
}

function validAnswer(answer: unknown): CheckAnswer | undefined {
  const a = (answer ?? {}) as Record<string, unknown>
  if (typeof a.error === 'string') return { error: safeText(a.error).slice(0, 300) }
  if (a.state === 'rendering' || a.state === 'busy') return { state: a.state }
  if (
    a.state === 'done' &&
    typeof a.file === 'string' &&
    HASH.test(a.file) &&
    typeof a.pixelHash === 'string' &&
    a.pixelHash.length <= 128 &&
    typeof a.costMs === 'number' &&
    Number.isFinite(a.costMs) &&
    a.costMs >= 0
  )
    return { state: 'done', file: a.file, pixelHash: a.pixelHash, costMs: a.costMs }
  return undefined
}
