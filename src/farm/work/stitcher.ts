import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { FrameRecord, JobRecord } from '../../ledger/index.ts'
import { checkFrame, stitchVideo } from '../../render/index.ts'
import { payment } from '../schedule/estimate.ts'
import { assembleStill, imageSizeOf, outputExtension } from './still.ts'
import { Ticker } from './ticker.ts'
import type { Activity, WorkerHost } from './worker.ts'

const TICK_MS = 1_000
/** Fetches of a result from a worker that left the swarm before the frame is given up as lost. */
const MAX_FETCH_FAILURES = 5

/**
 * The stitcher of every job that names this node: fetches each rendered image from its worker,
 * checks it decodes at the job's size with the pixel hash the worker reported, writes `verified`
 * (which pays when ok; a rejected frame goes back to the pool), and once every frame is verified
 * and on disk, encodes the video, stores it as a blob and writes `stitched`. It keeps nothing
 * but the ledger and the blob store, so after a restart it carries on where they stand.
 */
export class Stitcher {
  private readonly host: WorkerHost
  private readonly ticker: Ticker
  private current: Activity = { kind: 'idle' }
  private readonly abort = new AbortController()
  private readonly fetchFailures = new Map<string, number>()

  constructor(host: WorkerHost) {
    this.host = host
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
    let problem: string | undefined
    if (file === undefined) {
      const key = `${job.id}!${n}!${worker}`
      const failures = (this.fetchFailures.get(key) ?? 0) + 1
      this.fetchFailures.set(key, failures)
      const connected = this.host.peers().some((p) => p.id === worker)
      if (connected || failures < MAX_FETCH_FAILURES) return false
      problem = `its image could not be fetched ${failures} times and ${worker} left`
    } else {
      const check = await checkFrame(file, imageSizeOf(spec, n)).catch((err: Error) => err)
      if (check instanceof Error) problem = check.message
      else if (check.pixelHash !== result.pixelHash)
        problem = `its pixels hash to ${check.pixelHash.slice(0, 12)}, not the ${result.pixelHash.slice(0, 12)} reported`
    }
    if (problem !== undefined)
      this.host.log('warn', `rejected frame ${n} of ${spec.name} from ${worker}: ${problem}`)
    await this.host.ledger.append('verified', {
      job: job.id,
      frame: n,
      worker,
      ok: problem === undefined,
      amount: problem === undefined ? payment(result.wu, spec.pricePerWU) : 0,
    })
    return problem === undefined
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
    await this.host.ledger.append('stitched', { job: jobId, video })
  }
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'video'
}
