import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  blockedWorker,
  cheatedOn,
  type FrameRecord,
  type JobRecord,
  jobPrice,
  type MismatchBody,
  type MismatchRecord,
  mismatchesOf,
  type ResultRecord,
  shortJobId,
} from '../../ledger/index.ts'
import { checkFrame, type FrameResult, stitchVideo } from '../../render/index.ts'
import { effectiveWupm, frameCostModel, frameMilliWU, payment } from '../schedule/estimate.ts'
import { CheckDelegation, type DelegatedRender } from './delegate.ts'
import {
  cappedMilliWU,
  commitmentOf,
  DEFAULT_VERIFY_RATE,
  FIRST_CHECKED,
  overclaimed,
  sampled,
  WU_TOLERANCE,
} from './sample.ts'
import { assembleStill, imageSizeOf, outputExtension } from './still.ts'
import { Ticker } from './ticker.ts'
import { compareImages, Verifier } from './verifier.ts'
import type { Activity, WorkerHost } from './worker.ts'

/** What the stitcher needs of its node's worker to re-render frames: the scene, and whether it has the renderer. */
export interface SceneSource {
  scene(job: JobRecord, signal: AbortSignal): Promise<string>
  /** Whether this node can re-render the job's units to check them. */
  checksJob(job: JobRecord): boolean
  /** Renders unit n of the job into outDir, as a worker of it would. */
  renderUnit(job: JobRecord, n: number, outDir: string, signal: AbortSignal): Promise<FrameResult>
}

/** A verifier's decision on one result. */
type Check =
  | { ok: true; milliWU: number; checked: boolean }
  | { ok: false; problem: string; mismatch?: MismatchBody }
  /** A delegate renders the check: no verdict yet, the next pass asks again. */
  | { ok: 'pending' }

const TICK_MS = 1_000
/** Fetches of a result from a worker that left the swarm before the frame is given up as lost. */
const MAX_FETCH_FAILURES = 5

/**
 * The stitcher of every job that names this node: fetches each rendered image from its worker,
 * checks it decodes at the job's size with the pixel hash the worker reported, re-renders a
 * sample to check it is the right image at a fair WU (each worker's first frames, every frame of
 * a worker under suspicion, and the share of the rest its committed secret picks), writes
 * `verified` (which pays when ok; a rejected frame goes back to the pool) or a `mismatch`, and
 * once every frame is verified and on disk, encodes the video, stores it as a blob, reveals its
 * sample secret and writes `stitched`. It keeps nothing but the ledger, the blob store and the
 * secret in the home, so after a restart it carries on where they stand.
 */
export class Stitcher {
  private readonly host: WorkerHost
  private readonly ticker: Ticker
  private current: Activity = { kind: 'idle' }
  private readonly abort = new AbortController()
  private readonly fetchFailures = new Map<string, number>()
  private readonly scenes: SceneSource | undefined
  private readonly verifier: Verifier
  private readonly delegation: CheckDelegation
  /** Jobs whose frames were accepted unchecked, said once in the log. */
  private readonly unchecked = new Set<string>()
  /** job -> frame -> milli-WU the verifier measured: what the sample says frames cost. */
  private readonly costs = new Map<string, Map<number, number>>()
  private readonly secrets = new Map<string, string>()

  constructor(host: WorkerHost, scenes?: SceneSource) {
    this.host = host
    this.scenes = scenes
    this.verifier = new Verifier(
      host,
      (job, n, outDir, signal) => scenes!.renderUnit(job, n, outDir, signal),
      this.abort.signal,
    )
    this.delegation = new CheckDelegation(host, this.abort.signal)
    this.ticker = new Ticker(() => this.tick(), {
      everyMs: TICK_MS,
      onError: (err) => host.log('error', `stitcher: ${err.message}`),
    })
  }

  private get stopping(): boolean {
    return this.ticker.stopping
  }

  start(): void {
    this.ticker.start()
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('the node is stopping'))
    await this.ticker.stop()
  }

  activity(): Activity {
    return this.current
  }

  wake(): void {
    this.ticker.wake()
  }

  private async tick(): Promise<void> {
    try {
      for (const job of Object.values(this.host.ledger.state().jobs)) {
        if (this.stopping) return
        if (!job.spec || !job.author || job.settled || job.spec.stitcher !== this.host.id) continue
        await this.serve(job.id)
      }
    } finally {
      this.current = { kind: 'idle' }
    }
  }

  private async serve(jobId: string): Promise<void> {
    const images: string[] = []
    const spec = this.host.ledger.state().jobs[jobId]!.spec!
    for (let n = spec.frames.first; n <= spec.frames.last; n++) {
      if (this.stopping) return
      const job = this.host.ledger.state().jobs[jobId]!
      if (job.settled) return
      const image = await this.verifiedImage(job, n)
      if (image !== undefined) images.push(image)
    }
    if (images.length !== spec.frames.last - spec.frames.first + 1) return
    await this.stitch(jobId, images)
  }

  /** The path of frame n's verified image, verifying (and fetching) a result when none is yet. */
  private async verifiedImage(job: JobRecord, n: number): Promise<string | undefined> {
    const frame = job.frames[String(n)]
    if (!frame) return undefined
    const accepted = Object.values(frame.verdicts).find((v) => v.by === this.host.id && v.ok)
    if (accepted) {
      const result = frame.results[accepted.worker]
      const image = result && (await this.fetch(job, n, accepted.worker, result.file))
      // A dispute the accepted third render has not settled yet (a restart, or a delegate's
      // render that was not fetched then): settled on this pass.
      if (
        image &&
        result &&
        openDisputes(job, this.host.id).some((m) => m.frame === n && m.worker !== accepted.worker)
      )
        await this.settleDispute(job, n, accepted.worker, result.file)
      return image
    }
    for (const worker of Object.keys(frame.results).sort()) {
      if (frame.verdicts[`${this.host.id} ${worker}`]) continue
      if (await this.verify(job, n, frame, worker)) return this.host.blobs.path(frame.results[worker]!.file)
    }
    return undefined
  }

  /** Checks one worker's result for a frame and writes the verdict; true when it was accepted. */
  private async verify(job: JobRecord, n: number, frame: FrameRecord, worker: string): Promise<boolean> {
    const spec = job.spec!
    const result = frame.results[worker]!
    const file = await this.fetch(job, n, worker, result.file)
    let check: Check
    if (file === undefined) {
      const key = `${job.id}!${n}!${worker}`
      const failures = (this.fetchFailures.get(key) ?? 0) + 1
      this.fetchFailures.set(key, failures)
      const connected = this.host.peers().some((p) => p.id === worker)
      if (connected || failures < MAX_FETCH_FAILURES) return false
      check = { ok: false, problem: `its image could not be fetched ${failures} times and ${worker} left` }
    } else {
      const decoded = await checkFrame(file, imageSizeOf(spec, n)).catch((err: Error) => err)
      if (decoded instanceof Error) check = { ok: false, problem: decoded.message }
      else if (decoded.pixelHash !== result.pixelHash)
        check = {
          ok: false,
          problem: `its pixels hash to ${decoded.pixelHash.slice(0, 12)}, not the ${result.pixelHash.slice(0, 12)} reported`,
        }
      else if (blockedWorker(job, worker)) check = { ok: false, problem: `${worker} is blocked from the job` }
      else check = await this.sample(job, n, worker, { ...result, file })
    }
    if (check.ok === 'pending') return false
    if (!check.ok) {
      this.host.log('warn', `rejected frame ${n} of ${spec.name} from ${worker}: ${check.problem}`)
      if (check.mismatch) await this.host.ledger.append('mismatch', check.mismatch)
    }
    const wu = check.ok ? check.milliWU : 0
    await this.host.ledger.append('verified', {
      job: job.id,
      frame: n,
      worker,
      ok: check.ok,
      amount: check.ok ? payment(wu, jobPrice(job)) : 0,
      wu,
      checked: check.ok && check.checked,
    })
    if (check.ok) await this.settleDispute(this.host.ledger.state().jobs[job.id]!, n, worker, result.file)
    return check.ok
  }

  /**
   * Re-renders the frame when it is in the sample and compares; else caps its WU by the cost the
   * sample so far says. A result this node rendered itself needs no check; when this node
   * cannot render the job, a worker that accepted it renders the check (delegate.ts), and only
   * when none can is the result accepted unchecked.
   */
  private async sample(job: JobRecord, n: number, worker: string, result: ResultRecord): Promise<Check> {
    const unchecked = { ok: true as const, milliWU: result.wu, checked: false }
    if (worker === this.host.id) return unchecked
    const mine = openDisputes(job, this.host.id)
    const dispute = mine.find((m) => m.frame === n && m.worker !== worker)
    const exclude = dispute ? [worker, dispute.worker] : [worker]
    if (!this.scenes?.checksJob(job) && !this.delegation.anyDelegate(job, exclude)) {
      this.saidUnchecked(job)
      return unchecked
    }
    const wanted =
      dispute !== undefined ||
      mine.some((m) => m.worker === worker) ||
      this.checkedCount(job, worker) < FIRST_CHECKED ||
      (await this.inSample(job, n))
    const costs = this.costs.get(job.id)
    if (!wanted && costs && costs.size > 0) {
      const expected = frameCostModel([...costs].map(([frame, milliWU]) => ({ frame, milliWU })))!(n)
      return { ok: true, milliWU: cappedMilliWU(result.wu, expected), checked: false }
    }
    await this.commit(job)
    const own = await this.ownRender(job, n, exclude)
    if (own === 'pending') return { ok: 'pending' }
    if (own === undefined) return unchecked
    const measured = frameMilliWU(own.costMs, effectiveWupm(this.host.ledger.state().nodes[own.by]?.wupm))
    if (!costs) this.costs.set(job.id, new Map([[n, measured]]))
    else costs.set(n, measured)
    const likeness = await compareImages(own, result)
    if (dispute) return this.thirdOpinion(job, dispute, worker, own, result, likeness.alike)
    const base = { job: job.id, frame: n, worker, pixelHash: result.pixelHash, verifierHash: own.pixelHash }
    const record = { ...base, verifier: own.by, ruling: 'open' as const }
    if (!likeness.alike)
      return {
        ok: false,
        problem: `its image differs from ${whose(own, this.host.id)} (PSNR ${likeness.psnr.toFixed(1)} dB)`,
        mismatch: { ...record, kind: 'pixels' },
      }
    if (overclaimed(result.wu, measured))
      return {
        ok: false,
        problem: `it reported ${result.wu} milli-WU, more than ${WU_TOLERANCE}x the ${measured} measured by ${whose(own, this.host.id)}`,
        mismatch: { ...record, kind: 'wu' },
      }
    return { ok: true, milliWU: cappedMilliWU(result.wu, measured), checked: true }
  }

  /**
   * A result for a frame under dispute, by neither side: accepted when it looks like this node's
   * render or the disputed worker's image (settleDispute then rules which), else rejected too.
   */
  private async thirdOpinion(
    job: JobRecord,
    dispute: MismatchRecord,
    worker: string,
    own: DelegatedRender,
    result: ResultRecord,
    likeMine: boolean,
  ): Promise<Check> {
    if (likeMine)
      return {
        ok: true,
        milliWU: cappedMilliWU(result.wu, this.costs.get(job.id)?.get(dispute.frame)),
        checked: true,
      }
    const first = job.frames[String(dispute.frame)]?.results[dispute.worker]
    const firstFile = first && (await this.fetch(job, dispute.frame, dispute.worker, first.file))
    if (
      first &&
      firstFile &&
      (await compareImages({ file: firstFile, pixelHash: first.pixelHash }, result)).alike
    )
      return { ok: true, milliWU: result.wu, checked: true }
    return {
      ok: false,
      problem: `its image matches neither this node's render nor ${dispute.worker}'s`,
      mismatch: {
        job: job.id,
        frame: dispute.frame,
        worker,
        kind: 'pixels',
        pixelHash: result.pixelHash,
        verifierHash: own.pixelHash,
        verifier: own.by,
        ruling: 'open',
      },
    }
  }

  /**
   * This node's render of frame n to check a worker's, or a delegate's when this node cannot
   * render the job (not `exclude`: the worker checked, both sides of a dispute). `pending` while
   * a delegate renders it; undefined when no node can.
   */
  private async ownRender(
    job: JobRecord,
    n: number,
    exclude: readonly string[],
  ): Promise<DelegatedRender | 'pending' | undefined> {
    const known = this.knownRender(job.id, n)
    // Never a render by one of `exclude`: a delegate's earlier check is no check of its own image.
    if (known && !exclude.includes(known.by)) return known
    if (!this.scenes?.checksJob(job)) return this.delegation.render(job, n, exclude)
    this.current = { kind: 'rendering', job: job.id, frames: [n] }
    return { ...(await this.verifier.render(job, n)), by: this.host.id }
  }

  private knownRender(job: string, n: number): DelegatedRender | undefined {
    const local = this.verifier.known(job, n)
    return local ? { ...local, by: this.host.id } : this.delegation.known(job, n)
  }

  private saidUnchecked(job: JobRecord): void {
    if (this.unchecked.has(job.id)) return
    this.unchecked.add(job.id)
    this.host.log(
      'warn',
      `frames of ${job.spec!.name} are accepted unchecked: this node cannot re-render them and no other node that accepted the job can check them for it`,
    )
  }

  /** Verdicts this node wrote on the job for the worker after re-rendering. */
  private checkedCount(job: JobRecord, worker: string): number {
    let count = 0
    for (const frame of Object.values(job.frames)) {
      const v = frame.verdicts[`${this.host.id} ${worker}`]
      if (v?.checked) count += 1
    }
    return count
  }

  /**
   * A result accepted for a frame under dispute is the third render: when it matches this
   * node's own render, the first worker cheated (blocked, forfeits the job, its other frames
   * rejected so that others render them); when it matches the first worker's, this node's render
   * was the bad one and the worker is cleared.
   */
  private async settleDispute(job: JobRecord, n: number, third: string, file: string): Promise<void> {
    const disputes = openDisputes(job, this.host.id).filter((m) => m.frame === n && m.worker !== third)
    if (disputes.length === 0) return
    const result = job.frames[String(n)]!.results[third]!
    const own = await this.ownRender(job, n, [third, ...disputes.map((m) => m.worker)])
    if (own === 'pending' || own === undefined) return
    const withMine = await compareImages(own, {
      file: this.host.blobs.path(file),
      pixelHash: result.pixelHash,
    })
    for (const dispute of disputes) {
      const first = job.frames[String(n)]!.results[dispute.worker]
      // A `wu` dispute is settled between the worker and the third render: the worker cheated
      // when it claimed more than WU_TOLERANCE x what the third measured; not by the third's
      // agreeing with this node (whose own figure is what is in doubt).
      const agreesWithMe =
        dispute.kind === 'pixels' ? withMine.alike : first !== undefined && overclaimed(first.wu, result.wu)
      const { by: _by, seq: _seq, ...body } = dispute
      await this.host.ledger.append('mismatch', {
        ...body,
        ruling: agreesWithMe ? 'cheat' : 'cleared',
        third: { worker: third, pixelHash: result.pixelHash },
      })
      this.host.log(
        agreesWithMe ? 'warn' : 'info',
        agreesWithMe
          ? `${dispute.worker} cheated on frame ${n} of ${job.spec!.name}: blocked from job ${shortJobId(job.id)}, earns nothing for it`
          : `${third}'s render of frame ${n} of ${job.spec!.name} agrees with ${dispute.worker}'s: cleared`,
      )
      if (agreesWithMe) await this.rejectAll(this.host.ledger.state().jobs[job.id]!, dispute.worker)
      else if (first) await this.payCleared(job, n, dispute.worker, first.wu, result.wu)
    }
  }

  /**
   * A worker cleared of a dispute is paid for its image of the frame, which was rejected while
   * the dispute was open (the fold pays it besides the third render, once): at its reported WU
   * capped by the third's, as any check caps it.
   */
  private async payCleared(job: JobRecord, n: number, worker: string, reported: number, third: number) {
    const wu = cappedMilliWU(reported, third)
    await this.host.ledger.append('verified', {
      job: job.id,
      frame: n,
      worker,
      ok: true,
      amount: payment(wu, jobPrice(job)),
      wu,
      checked: true,
      cleared: true,
    })
  }

  /** Every image of a cheat on the job is rejected, those accepted before too: others render them again. */
  private async rejectAll(job: JobRecord, worker: string): Promise<void> {
    for (const [n, frame] of Object.entries(job.frames)) {
      if (!frame.results[worker] || frame.verdicts[`${this.host.id} ${worker}`]?.ok === false) continue
      await this.host.ledger.append('verified', {
        job: job.id,
        frame: Number(n),
        worker,
        ok: false,
        amount: 0,
        wu: 0,
      })
    }
  }

  private async inSample(job: JobRecord, n: number): Promise<boolean> {
    return sampled(await this.secret(job.id), job.id, n, job.spec!.verifyRate ?? DEFAULT_VERIFY_RATE)
  }

  /** The job's sample secret, kept in the home so a restart samples the same frames. */
  private async secret(jobId: string): Promise<string> {
    const known = this.secrets.get(jobId)
    if (known) return known
    const file = join(this.host.home, 'jobs', jobId, 'sample-secret')
    let secret = await readFile(file, 'utf8').catch(() => '')
    if (!/^[0-9a-f]{64}$/.test(secret)) {
      secret = randomBytes(32).toString('hex')
      await mkdir(join(this.host.home, 'jobs', jobId), { recursive: true })
      await writeFile(file, secret)
    }
    this.secrets.set(jobId, secret)
    return secret
  }

  /** Commits to the sample secret in the ledger before the first check of the job. */
  private async commit(job: JobRecord): Promise<void> {
    if (job.samples[this.host.id]) return
    await this.host.ledger.append('sample', { job: job.id, commit: commitmentOf(await this.secret(job.id)) })
  }

  /** Reveals the secret before the job is stitched, so anyone can check the sample was the committed one. */
  private async reveal(jobId: string): Promise<void> {
    const job = this.host.ledger.state().jobs[jobId]!
    const committed = job.samples[this.host.id]
    if (committed?.secret !== '') return
    await this.host.ledger.append('sample', {
      job: jobId,
      commit: committed.commit,
      secret: await this.secret(jobId),
    })
  }

  /** A result's image in the local blob store, fetched (hash-checked) from its worker or anyone; undefined if none could give it. */
  private async fetch(job: JobRecord, n: number, worker: string, hash: string): Promise<string | undefined> {
    if (await this.host.blobs.has(hash)) return this.host.blobs.path(hash)
    this.current = { kind: 'fetching', job: job.id, frames: [n] }
    const signal = this.abort.signal
    try {
      return await this.host.swarm.fetchBlob(hash, { from: worker, signal })
    } catch {
      return await this.host.swarm.fetchBlob(hash, { signal }).catch(() => undefined)
    }
  }

  private async stitch(jobId: string, images: string[]): Promise<void> {
    const job = this.host.ledger.state().jobs[jobId]!
    const spec = job.spec!
    this.current = { kind: 'stitching', job: jobId }
    const dir = join(this.host.home, 'jobs', jobId)
    await mkdir(dir, { recursive: true })
    const out = join(dir, `${safeName(spec.name)}${outputExtension(spec)}`)
    if (spec.tiles) await assembleStill(spec, images, out)
    else await stitchVideo({ frames: images, fps: spec.fps, out, signal: this.abort.signal })
    const video = await this.host.blobs.put(out)
    await rm(out, { force: true })
    if (this.host.ledger.state().jobs[jobId]?.settled) return
    await this.reveal(jobId)
    await this.host.ledger.append('stitched', { job: jobId, video })
  }
}

/** This node's open disputes on the job, leaving out those about a worker already ruled a cheat (moot). */
function openDisputes(job: JobRecord, verifier: string): MismatchRecord[] {
  return mismatchesOf(job).filter(
    (m) => m.by === verifier && m.ruling === 'open' && !cheatedOn(job, m.worker),
  )
}

/** Whose render checked an image: this node's, or the delegate's that rendered it for this node. */
function whose(own: DelegatedRender, self: string): string {
  return own.by === self ? "this node's render" : `${own.by}'s render (a check delegated to it)`
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'video'
}
