import {
  type BodyOf,
  type Entry,
  type EntryType,
  type FarmState,
  type JobBody,
  MemoryFold,
} from '../../src/ledger/index.ts'

/** A job's body as `farm submit` would write it: a 4-frame POV-Ray job at 100 milli-credits per WU, 3 attempts. */
export function jobBody(stitcher: string, over: Partial<JobBody> = {}): JobBody {
  return {
    name: 'spheres',
    scene: 'a'.repeat(64),
    sceneFile: 'scene.pov',
    renderer: 'povray',
    frames: { first: 1, last: 4 },
    size: { width: 64, height: 48 },
    fps: 24,
    pricePerWU: 100,
    stitcher,
    attempts: 3,
    failFast: false,
    ...over,
  }
}

/** Where an entry sits in its feed and in time; what the builder does not get told, it makes up in order. */
export interface At {
  ts?: number
  lamport?: number
}

/**
 * Builds a FarmState the way the ledger does: each call writes an entry to some author's feed and
 * folds it with the ledger's own fold (in memory, unsigned), so a test's state is always one the
 * ledger could hold. Authors and job ids are plain strings; the fold does not check their shape.
 */
export class FarmStateBuilder {
  /** The ts of entries given none (never before the author's previous entry). */
  now = 0
  readonly #fold = new MemoryFold()
  readonly #feeds = new Map<string, { seq: number; lamport: number; ts: number }>()
  #lamport = 0

  get state(): FarmState {
    return this.#fold.state()
  }

  /** Appends an entry to `author`'s feed: lamport one past any seen unless given, as a node that saw everything would. */
  entry<T extends EntryType>(
    author: string,
    type: T,
    body: BodyOf[T],
    at: At & { hash?: string } = {},
  ): Entry<T> {
    const feed = this.#feeds.get(author) ?? { seq: 0, lamport: 0, ts: 0 }
    const lamport = at.lamport ?? this.#lamport + 1
    const ts = at.ts ?? Math.max(this.now, feed.ts)
    if (lamport <= feed.lamport || ts < feed.ts)
      throw new Error(
        `entry ${feed.seq + 1} of ${author} goes back in lamport or ts: the ledger would refuse it`,
      )
    const seq = feed.seq + 1
    this.#feeds.set(author, { seq, lamport, ts })
    this.#lamport = Math.max(this.#lamport, lamport)
    const entry: Entry<T> = {
      v: 1,
      author,
      seq,
      prev: null,
      lamport,
      ts,
      type,
      body,
      hash: at.hash ?? `${author}!${seq}`,
    }
    this.#fold.add(entry)
    return entry
  }

  node(id: string, opts: { wupm?: number; renderers?: string[]; owner?: string } = {}): this {
    const renderers = (opts.renderers ?? ['povray', 'blender']).map((name) => ({ name, version: '1' }))
    this.entry(id, 'node', { name: id, owner: opts.owner ?? id, renderers, cores: 2, wupm: opts.wupm ?? 1 })
    return this
  }

  grant(to: string, amount: number): this {
    this.entry('genesis', 'grant', { to, amount })
    return this
  }

  /** A job of `frames` frames (1..frames) by `author`, accepted by the workers named. */
  job(
    id: string,
    opts: Partial<JobBody> & { author?: string; frameCount?: number; accepted?: string[]; ts?: number } = {},
  ): this {
    const { author = 'payer', frameCount = 1, accepted = [], ts, ...spec } = opts
    const body = jobBody(author, { name: id, frames: { first: 1, last: frameCount }, ...spec })
    this.entry(author, 'job', body, { hash: id, ...(ts === undefined ? {} : { ts }) })
    for (const worker of accepted) this.entry(worker, 'accept', { job: id })
    return this
  }

  claim(job: string, worker: string, frames: number[], opts: At & { leaseMs?: number } = {}): this {
    const { leaseMs = 120_000, ...at } = opts
    this.entry(worker, 'claim', { job, frames, leaseMs }, at)
    return this
  }

  rendered(job: string, worker: string, frame: number, opts: At & { milliWU?: number } = {}): this {
    const { milliWU = 1000, ...at } = opts
    const body = { job, frame, file: 'f'.repeat(64), pixelHash: `px${frame}`, renderMs: 1000, wu: milliWU }
    this.entry(worker, 'rendered', body, at)
    return this
  }

  failed(job: string, worker: string, frame: number, at: At = {}): this {
    const attempt = (this.state.jobs[job]?.frames[String(frame)]?.failures ?? 0) + 1
    this.entry(worker, 'failed', { job, frame, attempt, error: 'Parse Error' }, at)
    return this
  }

  verdict(job: string, by: string, worker: string, frame: number, ok: boolean): this {
    this.entry(by, 'verified', { job, frame, worker, ok, amount: 0 })
    return this
  }
}
