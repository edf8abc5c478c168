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
import { compareImages, type OwnRender, Verifier } from './verifier.ts'
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
      return result && (await this.fetch(job, n, accepted.worker, result.file))
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
   * sample so far says. A result this node rendered itself needs no check, and without the
   * job's renderer this node cannot check.
   */
  private async sample(job: JobRecord, n: number, worker: string, result: ResultRecord): Promise<Check> {
    const spec = job.spec!
    if (worker === this.host.id || !this.scenes?.checksJob(job))
      return { ok: true, milliWU: result.wu, checked: false }
    const mine = openDisputes(job, this.host.id)
    const dispute = mine.find((m) => m.frame === n && m.worker !== worker)
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
    this.current = { kind: 'rendering', job: job.id, frames: [n] }
    const own = await this.verifier.render(job, n)
    const measured = frameMilliWU(
      own.costMs,
      effectiveWupm(this.host.ledger.state().nodes[this.host.id]?.wupm),
    )
    if (!costs) this.costs.set(job.id, new Map([[n, measured]]))
    else costs.set(n, measured)
    const likeness = await compareImages(own, result)
    if (dispute) return this.thirdOpinion(job, dispute, worker, own, result, likeness.alike)
    const base = { job: job.id, frame: n, worker, pixelHash: result.pixelHash, verifierHash: own.pixelHash }
    const record = { ...base, verifier: this.host.id, ruling: 'open' as const }
    if (!likeness.alike)
      return {
        ok: false,
        problem: `its image differs from this node's render (PSNR ${likeness.psnr.toFixed(1)} dB)`,
        mismatch: { ...record, kind: 'pixels' },
      }
    if (overclaimed(result.wu, measured))
      return {
        ok: false,
        problem: `it reported ${result.wu} milli-WU, more than ${WU_TOLERANCE}x the ${measured} this node measured`,
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
    own: OwnRender,
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
        verifier: this.host.id,
        ruling: 'open',
      },
    }
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
    const own = this.verifier.known(job.id, n) ?? (await this.verifier.render(job, n))
    const withMine = await compareImages(own, {
      file: this.host.blobs.path(file),
      pixelHash: result.pixelHash,
    })
    const measured = this.costs.get(job.id)?.get(n)
    for (const dispute of disputes) {
      const agreesWithMe =
        dispute.kind === 'pixels'
          ? withMine.alike
          : measured === undefined || !overclaimed(result.wu, measured)
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
    }
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

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'video'
}
