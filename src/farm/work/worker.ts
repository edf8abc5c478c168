import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  blockedWorker,
  type FarmState,
  type JobRecord,
  jobProgress,
  type Ledger,
  MAX_LEASE_MS,
  shortJobId,
} from '../../ledger/index.ts'
import type { BlobStore, PeerInfo, Swarm } from '../../p2p/index.ts'
import {
  benchmarkRenderer,
  defaultParallelism,
  describeFrames,
  type FrameResult,
  killLeftoverRenderers,
  loadBenchResults,
  type RendererName,
  renderFrames,
  type SandboxReport,
  sandboxReport,
  saveBenchResults,
} from '../../render/index.ts'
import { FarmError } from '../errors.ts'
import type { LogLevel } from '../events/events.ts'
import { DEFAULT_MAX_ARCHIVE_BYTES, unpackArchive } from '../scene/archive.ts'
import type { SceneCache } from '../scene/cache.ts'
import { MAX_MANIFEST_BYTES, manifestArchive, manifestBlobs, parseManifest } from '../scene/manifest.ts'
import { unavailable } from '../schedule/availability.ts'
import { frameMilliWU } from '../schedule/estimate.ts'
import { nextClaim, nextClaims, type SchedulerInput, shouldAbandon } from '../schedule/scheduler.ts'
import { unfetchedResults, workingGraceMs } from './grace.ts'
import {
  announcedRenderers,
  findInstalls,
  type InstallOptions,
  installFor,
  type RendererInstall,
} from './installs.ts'
import { sceneFileIn } from './scene-file.ts'
import { Ticker } from './ticker.ts'
import { renderTiles } from './tiles.ts'

/** Two minutes: long enough to ride out a slow sync, short enough that a dead worker's frame soon returns. */
export const DEFAULT_LEASE_MS = 120_000
/** Renewals per lease: two may be lost before the claim lapses. */
const RENEWALS_PER_LEASE = 3
/** A release is a claim whose lease ends at once (the schema's smallest lease). */
const RELEASE_LEASE_MS = 1
/** A chunk of frames should take about this long, so a renderer's start-up is a small share of it. */
const CHUNK_TARGET_MS = 10_000
const MAX_CHUNK = 10
/** How long a job this worker could not start (not the renderer's failure) is left alone. */
const COOLDOWN_MS = 15_000
/** How often the worker looks again without news: leases expire silently. */
const TICK_MS = 1_000
/** How often a stopping worker looks whether its renders ended and its frames were fetched. */
const LINGER_POLL_MS = 200

/** `all`, or the owners whose jobs this node renders (its own always). */
export type AcceptPolicy = 'all' | readonly string[]

export interface Activity {
  kind: 'idle' | 'fetching' | 'rendering' | 'stitching'
  job?: string
  frames?: number[]
}

/** Scene files fetched at once from peers. */
const SCENE_FETCHES = 4

/** What the worker and the stitcher need of their node. */
export interface WorkerHost {
  readonly home: string
  readonly id: string
  readonly ledger: Ledger
  readonly blobs: BlobStore
  readonly swarm: Swarm
  /** Scene files fetched from peers, bounded in size (`farm join --cache-size`). */
  readonly sceneCache?: SceneCache | undefined
  peers(): PeerInfo[]
  log(level: LogLevel, message: string): void
}

export interface WorkerOptions {
  leaseMs: number
  accept: AcceptPolicy
  noRender: boolean
  /** Frames rendered at once; default per renderer, as `farm render` chooses. */
  jobs?: number
  /** The longest this worker lets any frame render (`farm join --max-frame-time`); caps every job's timeout. */
  maxFrameTimeMs?: number
  /** Render other nodes' scenes without the sandbox where it cannot work (`--unsafe-no-sandbox`). */
  unsafeNoSandbox?: boolean
  /** Other renderer executables, and Cycles' device. */
  installs?: Omit<InstallOptions, 'renderers'>
  /** The owner's limits on when this worker claims (see owner-gate.ts). */
  gate?: { mayClaim(now: number): boolean }
  /** Cores the renderers may use (`--max-cores`); default all. */
  maxCores?: number
  /** Milli-credits per WU below which other owners' jobs are not accepted (`--min-price`). */
  minPrice?: number
}

/** `farm join --max-frame-time`'s default: a frame that renders an hour is not a frame a swarm should wait on. */
export const DEFAULT_MAX_FRAME_TIME_MS = 3600_000
/** A job's default frame timeout is this many times its slowest rendered frame... */
const SAMPLED_TIMEOUT_FACTOR = 10
/** ...and never less than this: a 50 ms frame on a loaded machine may take seconds. */
const MIN_SAMPLED_TIMEOUT_MS = 60_000

interface Render {
  job: string
  /** The frames claimed together, consecutive, rendered by one renderer process. */
  frames: number[]
  /** Those not reported yet: the claim renews, and a stop releases, only these. */
  remaining: Set<number>
  phase: 'fetching' | 'rendering'
  abort: AbortController
  /** Why it was stopped: decides whether the claim is released. */
  stopReason?: string
  done: Promise<void>
}

/**
 * The worker loop: accepts jobs, claims the frames the scheduler gives this node, keeps their
 * leases alive while rendering, reports `rendered` or `failed`, and stops a render at once
 * when its claim is lost, its job is settled, or the node stops, releasing the claim.
 */
export class Worker {
  private readonly host: WorkerHost
  private readonly options: WorkerOptions
  private renderers: RendererName[] = []
  private installs: RendererInstall[] = []
  private wupm = 0
  private readonly renders = new Map<string, Render>()
  private readonly scenes = new Map<string, Promise<string>>()
  private readonly accepting = new Set<string>()
  private readonly ticker: Ticker
  private readonly benchAbort = new AbortController()
  /** Jobs this worker could not work on (no peer had the scene...): left alone until then. */
  private readonly cooldown = new Map<string, number>()
  /** Whether bwrap works here; probed in describe(). */
  private sandbox: SandboxReport = { ok: false, problem: 'not probed yet', processLimit: 'none' }
  private saidNoSandbox = false

  constructor(host: WorkerHost, options: WorkerOptions) {
    this.host = host
    // A longer lease would hold for MAX_LEASE_MS only, and lapse between renewals.
    this.options = { ...options, leaseMs: Math.min(options.leaseMs, MAX_LEASE_MS) }
    this.ticker = new Ticker(() => this.tick(), {
      everyMs: TICK_MS,
      onError: (err) => host.log('error', `worker: ${err.message}`),
    })
  }

  private get stopping(): boolean {
    return this.ticker.stopping
  }

  /** Finds the installed renderers and the WUPM this node announces in its `node` entry. */
  async describe(opts: {
    renderers?: RendererName[]
    wupm?: number
  }): Promise<{ renderers: { name: string; version: string }[]; wupm: number }> {
    if (this.options.noRender) return { renderers: [], wupm: 0 }
    this.sandbox = await sandboxReport()
    this.installs = await findInstalls(
      { ...this.options.installs, ...(opts.renderers ? { renderers: opts.renderers } : {}) },
      (level, message) => this.host.log(level, message),
    )
    for (const wanted of opts.renderers ?? []) {
      if (!this.installs.some((r) => r.name === wanted))
        this.host.log('warn', `${wanted} is not installed here: this node renders no ${wanted} jobs`)
    }
    this.renderers = [...new Set(this.installs.map((r) => r.name))]
    this.wupm = opts.wupm ?? (await this.cachedWupm())
    return { renderers: announcedRenderers(this.installs), wupm: this.wupm }
  }

  /** The version of the renderer this node would render with, e.g. for the jobs it submits. */
  versionOf(renderer: RendererName): string | undefined {
    return this.installs.find((r) => r.name === renderer)?.version || undefined
  }

  /** Whether this node renders `renderer`'s jobs (it is installed and allowed): the stitcher re-renders with it to verify. */
  rendersWith(renderer: RendererName): boolean {
    return !this.options.noRender && this.renderers.includes(renderer)
  }

  /** $FARM_WUPM, else the WUPM `farm bench` cached in the home, else 0 (unknown: counts as the reference machine). */
  private async cachedWupm(): Promise<number> {
    const env = Number(process.env.FARM_WUPM)
    if (Number.isFinite(env) && env > 0) return env
    const cache = await loadBenchResults(this.host.home)
    return this.renderers.map((r) => cache[r]?.wupm).find((w) => w !== undefined) ?? 0
  }

  /**
   * Measures the WUPM once, with the first usable renderer, when none was known, and caches it
   * like `farm bench`. It runs after the node is up, so a first start is not held up for it;
   * undefined when there was nothing to measure or the node stopped meanwhile.
   */
  async measureWupm(): Promise<number | undefined> {
    const renderer = this.renderers[0]
    if (this.wupm > 0 || renderer === undefined) return undefined
    this.host.log('info', `measuring this machine's WUPM with ${renderer} once (see \`farm bench\`)`)
    const workDir = join(this.host.home, 'cache', 'bench')
    try {
      const result = await benchmarkRenderer(renderer, { workDir, signal: this.benchAbort.signal })
      await saveBenchResults(this.host.home, [result])
      this.wupm = result.wupm
      return result.wupm
    } catch (err) {
      if (this.benchAbort.signal.aborted) return undefined
      throw err
    } finally {
      await rm(workDir, { recursive: true, force: true })
    }
  }

  /** Whether this node renders other nodes' scenes without a sandbox (it says so in its `node` entry). */
  get unsandboxed(): boolean {
    return !this.options.noRender && !this.sandbox.ok && this.options.unsafeNoSandbox === true
  }

  start(): void {
    const killed = killLeftoverRenderers(this.pidDir)
    if (killed.length > 0)
      this.host.log('warn', `killed ${killed.length} renderer processes a previous run of this node left`)
    this.ticker.start()
  }

  private get pidDir(): string {
    return join(this.host.home, 'renderers')
  }

  /**
   * Stops claiming; within a grace period (see grace.ts) lets renders go on and the stitchers
   * fetch what it rendered, until the period is nearly over or `hurry` aborts; then aborts every
   * render left and releases its claim.
   */
  async stop(opts: { graceMs?: number; hurry?: AbortSignal } = {}): Promise<void> {
    this.benchAbort.abort(new Error('the node is stopping'))
    await this.ticker.stop()
    const graceMs = opts.graceMs ?? 0
    const until = Date.now() + workingGraceMs(graceMs)
    await this.linger(until, opts.hurry, () => this.renders.size > 0)
    const reason =
      graceMs > 0 && opts.hurry?.aborted !== true
        ? 'the node is stopping and its grace period is over'
        : 'the node is stopping'
    for (const render of this.renders.values()) this.abort(render, reason)
    await Promise.all([...this.renders.values()].map((r) => r.done))
    if (graceMs === 0) return
    const unfetched = () => unfetchedResults(this.host.ledger.state(), this.host.id).length
    await this.linger(until, opts.hurry, () => unfetched() > 0)
    if (unfetched() > 0)
      this.host.log(
        'warn',
        `left ${unfetched()} rendered frames no stitcher fetched: others will render them`,
      )
  }

  /** Waits while `busy()` until `until` or `hurry`, still stopping renders whose job settled or frame was lost. */
  private async linger(until: number, hurry: AbortSignal | undefined, busy: () => boolean): Promise<void> {
    while (busy() && Date.now() < until && hurry?.aborted !== true) {
      this.checkRenders(this.host.ledger.state(), Date.now())
      await sleep(Math.min(LINGER_POLL_MS, until - Date.now()), undefined, { signal: hurry }).catch(
        () => undefined,
      )
    }
  }

  activity(): Activity {
    const renders = [...this.renders.values()]
    if (renders.length === 0) return { kind: 'idle' }
    const first = renders[0]!
    const kind = renders.some((r) => r.phase === 'rendering') ? 'rendering' : 'fetching'
    return {
      kind,
      job: first.job,
      frames: renders.filter((r) => r.job === first.job).flatMap((r) => r.frames),
    }
  }

  /** Looks at the ledger again soon: new entries, a peer come or gone, a render ended. */
  wake(): void {
    this.ticker.wake()
  }

  private async tick(): Promise<void> {
    const state = this.host.ledger.state()
    const now = Date.now()
    this.checkRenders(state, now)
    if (this.options.noRender || this.stopping) return
    await this.acceptJobs(state)
    if (this.options.gate?.mayClaim(now) === false) return
    for (;;) {
      if (this.stopping) return
      const input = this.schedulerInput()
      const choice = nextClaim(input, this.host.id)
      if (!choice) return
      const job = input.state.jobs[choice.job]!
      if (this.renders.size >= this.slots(job.spec!.renderer)) return
      const frames = consecutive(nextClaims(input, this.host.id, this.chunkFor(job, input)))
      await this.host.ledger.append('claim', { job: choice.job, frames, leaseMs: this.options.leaseMs })
      this.startRender(choice.job, frames)
    }
  }

  /** The ledger's state now, who is connected, and the jobs left alone after a failed start. */
  private schedulerInput(): SchedulerInput {
    const now = Date.now()
    const resting = new Set<string>()
    for (const [job, until] of this.cooldown) if (until > now) resting.add(job)
    const state = this.host.ledger.state()
    return {
      state,
      now,
      // A peer its owner paused, busy or outside its hours gets no frames to leave waiting.
      live: new Set([
        this.host.id,
        ...this.host
          .peers()
          .map((p) => p.id)
          .filter((id) => unavailable(state, id, now) === undefined),
      ]),
      resting,
    }
  }

  /**
   * How many frames to claim at once: one while the job's cost is unknown; then enough that a
   * renderer's start-up (POV-Ray parses the scene again for each process) is a small share,
   * but never more than leaves the other workers on the job their part of what is open.
   */
  private chunkFor(job: JobRecord, input: SchedulerInput): number {
    // Each tile is a renderer process of its own (renderTiles): claim them one by one.
    if (job.spec?.tiles) return 1
    const results = Object.values(job.frames).flatMap((f) => Object.values(f.results))
    if (results.length === 0) return 1
    const meanMs = results.reduce((sum, r) => sum + r.renderMs, 0) / results.length
    const open = jobProgress(job, input.now).open
    const workers = Object.keys(job.accepted).filter(
      (w) => input.live.has(w) && !blockedWorker(job, w),
    ).length
    const share = Math.floor(open / (Math.max(1, workers) * this.slots(job.spec!.renderer)))
    return Math.max(1, Math.min(MAX_CHUNK, Math.floor(CHUNK_TARGET_MS / Math.max(1, meanMs)), share))
  }

  private slots(renderer: RendererName): number {
    return Math.min(
      this.options.jobs ?? defaultParallelism(renderer, Number.MAX_SAFE_INTEGER, this.cores()).jobs,
      this.cores(),
    )
  }

  /** The threads a frame of the renderer is given here: the cores shared by its slots. */
  private frameThreads(renderer: RendererName): number {
    return Math.max(1, Math.floor(this.cores() / this.slots(renderer)))
  }

  private cores(): number {
    return Math.min(availableParallelism(), this.options.maxCores ?? Number.MAX_SAFE_INTEGER)
  }

  /** The owner needs the machine: every render stops and its frames go back to the pool at once. */
  giveBack(reason: string): void {
    for (const render of this.renders.values()) this.abort(render, reason)
  }

  /** Stops renders whose job settled (stitched, cancelled, failed), or a frame of which another worker won or rendered. */
  private checkRenders(state: FarmState, now: number): void {
    for (const render of this.renders.values()) {
      const job = state.jobs[render.job]
      if (!job || job.settled) {
        this.abort(render, `job ${shortJobId(render.job)} is ${job?.settled ?? 'gone'}`)
        continue
      }
      for (const frame of render.remaining) {
        const abandon = shouldAbandon(job, frame, this.host.id, now)
        if (!abandon) continue
        const what = `frame ${frame} of ${job.spec?.name ?? job.id}`
        this.abort(
          render,
          abandon.reason === 'held' ? `${what} is held by ${abandon.by}` : `${what} is rendered`,
        )
        break
      }
    }
  }

  private abort(render: Render, reason: string): void {
    if (render.abort.signal.aborted) return
    render.stopReason = reason
    render.abort.abort(new Error(reason))
  }

  /** Writes `accept` for each job this node's policy and renderers take. */
  private async acceptJobs(state: FarmState): Promise<void> {
    for (const job of Object.values(state.jobs)) {
      if (!job.spec || !job.author || job.settled || job.accepted[this.host.id] !== undefined) continue
      if (this.accepting.has(job.id) || !installFor(this.installs, job.spec)) continue
      if (!this.accepts(state, job)) continue
      this.accepting.add(job.id)
      await this.host.ledger.append('accept', { job: job.id })
    }
  }

  private accepts(state: FarmState, job: JobRecord): boolean {
    if (job.author === this.host.id) return true
    if (!this.sandbox.ok && this.options.unsafeNoSandbox !== true) {
      if (!this.saidNoSandbox)
        this.host.log(
          'warn',
          `renders no other node's jobs: ${this.sandbox.problem}. Fix that (see \`farm doctor\`), or start with --unsafe-no-sandbox to render them with this node's full rights`,
        )
      this.saidNoSandbox = true
      return false
    }
    const policy = this.options.accept
    if (job.author === this.host.id) return true
    if ((job.spec?.pricePerWU ?? 0) < (this.options.minPrice ?? 0)) return false
    if (policy === 'all') return true
    const owner = state.nodes[job.author ?? '']?.owner
    return owner !== undefined && policy.includes(owner)
  }

  /**
   * How long a frame of the job may render: the job's --frame-timeout, else 10x its slowest
   * frame so far (at least a minute), capped by this worker's --max-frame-time.
   */
  private frameTimeoutMs(job: JobRecord): number | undefined {
    const cap = this.options.maxFrameTimeMs
    let asked = job.spec?.frameTimeoutMs
    if (asked === undefined) {
      const times = Object.values(job.frames).flatMap((f) => Object.values(f.results).map((r) => r.renderMs))
      if (times.length > 0)
        asked = Math.max(MIN_SAMPLED_TIMEOUT_MS, SAMPLED_TIMEOUT_FACTOR * Math.max(...times))
    }
    if (asked === undefined) return cap
    return cap === undefined ? asked : Math.min(asked, cap)
  }

  private startRender(job: string, frames: number[]): void {
    const render: Render = {
      job,
      frames,
      remaining: new Set(frames),
      phase: 'fetching',
      abort: new AbortController(),
      done: Promise.resolve(),
    }
    const key = `${job}!${frames[0]}`
    render.done = this.render(render)
      .catch((err: Error) =>
        this.host.log('error', `frames ${frames.join(',')} of ${shortJobId(job)}: ${err.message}`),
      )
      .finally(() => {
        this.renders.delete(key)
        this.wake()
      })
    this.renders.set(key, render)
  }

  private async render(render: Render): Promise<void> {
    const { job: jobId } = render
    const ledger = this.host.ledger
    const leaseMs = this.options.leaseMs
    const renew = setInterval(() => {
      if (render.abort.signal.aborted || render.remaining.size === 0) return
      void ledger
        .append('claim', { job: jobId, frames: [...render.remaining], leaseMs })
        .catch((err: Error) =>
          this.host.log('warn', `could not renew a claim of ${shortJobId(jobId)}: ${err.message}`),
        )
    }, leaseMs / RENEWALS_PER_LEASE)
    // Each frame is reported as soon as it is done, in order, while the rest still render.
    let reports = Promise.resolve()
    const report = (result: FrameResult) => {
      reports = reports.then(async () => {
        const file = await this.host.blobs.put(result.file)
        await rm(result.file, { force: true })
        render.remaining.delete(result.frame)
        await ledger.append('rendered', {
          job: jobId,
          frame: result.frame,
          file,
          pixelHash: result.pixelHash,
          renderMs: Math.round(result.renderMs),
          wu: frameMilliWU(result.costMs, this.wupm),
        })
      })
    }
    try {
      const job = ledger.state().jobs[jobId]!
      const spec = job.spec!
      const install = installFor(this.installs, spec)
      if (!install) throw new Error(`no ${spec.renderer} ${spec.rendererVersion ?? ''} install here`)
      const sceneDir = await this.scene(job, render.abort.signal)
      render.phase = 'rendering'
      const threads = this.frameThreads(spec.renderer)
      try {
        const request = await this.requestFor(job, sceneDir, install, threads, render.abort.signal)
        if (spec.tiles) {
          const outDir = join(this.host.home, 'jobs', jobId, 'tiles')
          await renderTiles({ ...request, tiles: spec.tiles, numbers: render.frames, outDir, onTile: report })
        } else
          await renderFrames({
            ...request,
            frames: render.frames,
            animation: spec.frames,
            outDir: join(this.host.home, 'jobs', jobId, 'frames'),
            chunk: render.frames.length,
            onFrame: report,
          })
      } catch (err) {
        await reports
        if (render.abort.signal.aborted) throw err
        const [failed, ...rest] = [...render.remaining]
        if (failed !== undefined) await this.reportFailure(ledger.state().jobs[jobId]!, failed, err as Error)
        if (rest.length > 0) await this.release(jobId, rest)
        return
      }
      await reports
    } catch (err) {
      await reports.catch(() => undefined)
      const what = `${describeFrames(render.frames)} of ${shortJobId(jobId)}`
      // Not the renderer's fault (the scene could not be fetched or unpacked, the disk is full):
      // no `failed` against the job, but the frames go back to the pool at once.
      if (!render.abort.signal.aborted) {
        this.host.log('error', `gave up ${what} for now: ${(err as Error).message}`)
        this.cooldown.set(jobId, Date.now() + COOLDOWN_MS)
      } else this.host.log('info', `stopped ${what}: ${render.stopReason}`)
      if (render.remaining.size > 0) await this.release(jobId, [...render.remaining])
    } finally {
      clearInterval(renew)
    }
  }

  /** Writes `failed` with the renderer's message, keeps the full text for `farm logs`, and frees the frame. */
  private async reportFailure(job: JobRecord, frame: number, err: Error): Promise<void> {
    const logs = join(this.host.home, 'jobs', job.id, 'logs')
    await mkdir(logs, { recursive: true })
    await writeFile(join(logs, `${frame}.log`), `${err.message}\n`)
    const attempt = (job.frames[String(frame)]?.failures ?? 0) + 1
    await this.host.ledger.append('failed', { job: job.id, frame, attempt, error: err.message.slice(-4000) })
    await this.release(job.id, [frame])
  }

  /** A claim with a lease of 1 ms: the frames are free for the next worker at once. */
  private async release(job: string, frames: number[]): Promise<void> {
    if (this.host.ledger.state().jobs[job]?.settled) return
    await this.host.ledger.append('claim', { job, frames, leaseMs: RELEASE_LEASE_MS })
  }

  /**
   * How this node renders the job's scene. Every scene but this node's own renders sandboxed:
   * owner names are what nodes say of themselves, so another node's claim to be this node's
   * owner proves nothing.
   */
  private async requestFor(
    job: JobRecord,
    sceneDir: string,
    install: RendererInstall,
    threads: number,
    signal: AbortSignal,
  ) {
    const spec = job.spec!
    const timeoutMs = this.frameTimeoutMs(job)
    const sandboxed = job.author !== this.host.id && this.sandbox.ok
    return {
      scene: await sceneFileIn(sceneDir, spec),
      ...(sandboxed ? { sandbox: { root: sceneDir } } : {}),
      ...(timeoutMs !== undefined ? { frameTimeoutMs: timeoutMs } : {}),
      pidDir: this.pidDir,
      tethered: this.sandbox.ok,
      size: spec.size,
      jobs: 1,
      threads,
      program: install.program,
      ...(spec.renderer === 'blender' && this.options.installs?.blenderDevice
        ? { blenderDevice: this.options.installs.blenderDevice }
        : {}),
      ...(spec.libraries ? { povray: { libraries: spec.libraries.map((lib) => join(sceneDir, lib)) } } : {}),
      signal,
    }
  }

  /**
   * Whether this node can re-render the job's units to check them: it renders the job's
   * renderer, and another node's scene only in its sandbox (or with --unsafe-no-sandbox).
   */
  checksJob(job: JobRecord): boolean {
    if (!job.spec || !this.rendersWith(job.spec.renderer)) return false
    return job.author === this.host.id || this.sandbox.ok || this.options.unsafeNoSandbox === true
  }

  /**
   * Renders unit n of the job (a frame, or tile n of a still) into outDir as a worker of it
   * would, sandboxed as any render of the job here, with every core: the stitcher's own render
   * to check a worker's. The job's pinned install when this node has it, else its own version
   * of the renderer (the images are then compared with a tolerance).
   */
  async renderUnit(job: JobRecord, n: number, outDir: string, signal: AbortSignal): Promise<FrameResult> {
    const spec = job.spec!
    const install = installFor(this.installs, spec) ?? this.installs.find((i) => i.name === spec.renderer)
    if (!install) throw new Error(`no ${spec.renderer} install here`)
    const sceneDir = await this.scene(job, signal)
    // On every core, to check soon; its cost over the threads a worker gives a frame, as a
    // worker measures it: the CPU time is the same work whatever the thread count.
    const request = await this.requestFor(job, sceneDir, install, this.cores(), signal)
    const scale = this.cores() / this.frameThreads(spec.renderer)
    const asWorkers = (result: FrameResult) => ({ ...result, costMs: result.costMs * scale })
    if (!spec.tiles) {
      const [result] = await renderFrames({ ...request, frames: [n], animation: spec.frames, outDir })
      return asWorkers(result!)
    }
    let tile: FrameResult | undefined
    await renderTiles({
      ...request,
      tiles: spec.tiles,
      numbers: [n],
      outDir,
      onTile: (result) => {
        tile = result
      },
    })
    return asWorkers(tile!)
  }

  /**
   * The job's scene, unpacked once into `<home>/jobs/<id>/scene` from the archive fetched (and
   * hash-checked) from the submitter or any peer holding it.
   */
  scene(job: JobRecord, signal: AbortSignal): Promise<string> {
    let pending = this.scenes.get(job.id)
    if (pending === undefined) {
      pending = this.unpackScene(job, signal)
      this.scenes.set(job.id, pending)
      pending.catch(() => this.scenes.delete(job.id))
    }
    return pending
  }

  private async unpackScene(job: JobRecord, signal: AbortSignal): Promise<string> {
    const dir = join(this.host.home, 'jobs', job.id)
    const scene = join(dir, 'scene')
    if (existsSync(scene) && (await readdir(scene)).length > 0) return scene
    const tmp = join(dir, `scene.tmp-${process.pid}`)
    await rm(tmp, { recursive: true, force: true })
    if (job.spec!.sceneFormat === 'files') await this.unpackFiles(job, tmp, signal)
    else await unpackArchive(await this.fetchFromAuthor(job, job.spec!.scene, signal), tmp)
    await rename(tmp, scene)
    return scene
  }

  /** A blob of `job`: from its author first, from any peer holding it when that fails. */
  private async fetchFromAuthor(job: JobRecord, hash: string, signal: AbortSignal): Promise<string> {
    try {
      return await this.host.swarm.fetchBlob(hash, { from: job.author!, signal })
    } catch {
      return await this.host.swarm.fetchBlob(hash, { signal })
    }
  }

  /** A scene stored file by file: fetches the files this node lacks, then unpacks them all. */
  private async unpackFiles(job: JobRecord, dest: string, signal: AbortSignal): Promise<void> {
    const manifestPath = await this.fetchFromAuthor(job, job.spec!.scene, signal)
    if ((await stat(manifestPath)).size > MAX_MANIFEST_BYTES)
      throw FarmError.BAD_ARCHIVE(`its manifest is over ${MAX_MANIFEST_BYTES} bytes`)
    const manifest = parseManifest(await readFile(manifestPath))
    const files = manifestBlobs(manifest)
    const total = files.reduce((sum, f) => sum + f.size, 0)
    if (total > DEFAULT_MAX_ARCHIVE_BYTES)
      throw FarmError.ARCHIVE_TOO_LARGE('the fetched scene', total, DEFAULT_MAX_ARCHIVE_BYTES)
    const fetched = new Set<string>()
    let fetchedBytes = 0
    const wanted: typeof files = []
    for (const file of files) if (!(await this.host.blobs.has(file.hash))) wanted.push(file)
    // A few at a time: a project of many small textures is not one round trip per file.
    const next = wanted[Symbol.iterator]()
    const fetchRest = async () => {
      for (const file of next) {
        await this.fetchFromAuthor(job, file.hash, signal)
        fetched.add(file.hash)
        fetchedBytes += file.size
      }
    }
    await Promise.all(Array.from({ length: SCENE_FETCHES }, fetchRest))
    await unpackArchive(
      manifestArchive(manifest, (hash) => this.host.blobs.path(hash)),
      dest,
    )
    this.host.log(
      'info',
      `scene of job ${shortJobId(job.id)}: ${files.length} files (${total} bytes); fetched ${fetched.size} (${fetchedBytes} bytes), ${files.length - fetched.size} already here`,
    )
    const removed = (await this.host.sceneCache?.use(files, fetched)) ?? []
    if (removed.length > 0)
      this.host.log(
        'info',
        `scene cache: removed ${removed.length} least recently used files to stay under its size`,
      )
  }
}

/** The first pick and those that follow it frame by frame: one renderer process renders a run. */
function consecutive(picks: { frame: number }[]): number[] {
  const frames = [picks[0]!.frame]
  for (const pick of picks.slice(1)) {
    if (pick.frame !== frames.at(-1)! + 1) break
    frames.push(pick.frame)
  }
  return frames
}
