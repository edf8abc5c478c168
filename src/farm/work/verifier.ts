import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { JobRecord } from '../../ledger/index.ts'
import { type FrameResult, framePsnr } from '../../render/index.ts'
import { PSNR_MIN_DB } from './sample.ts'
import type { WorkerHost } from './worker.ts'

/** The verifier's own render of a frame: its image in the blob store (path and hash), its pixel hash, and what it cost (FrameResult.costMs). */
export interface OwnRender {
  file: string
  hash: string
  pixelHash: string
  costMs: number
}

/** How two images of one frame compare: the same pixels, or alike within PSNR_MIN_DB, or not. */
export interface Likeness {
  alike: boolean
  psnr: number
}

/** Renders unit n of a job (a frame, or a still's tile) into outDir, as a worker of it would. */
export type RenderUnit = (
  job: JobRecord,
  n: number,
  outDir: string,
  signal: AbortSignal,
) => Promise<FrameResult>

/**
 * Re-renders frames of a job on this node to check other workers' images, keeping each render
 * (in the blob store) so that a third render can be compared with it later.
 */
export class Verifier {
  private readonly host: WorkerHost
  private readonly renderUnit: RenderUnit
  private readonly signal: AbortSignal
  private readonly renders = new Map<string, OwnRender>()

  constructor(host: WorkerHost, renderUnit: RenderUnit, signal: AbortSignal) {
    this.host = host
    this.renderUnit = renderUnit
    this.signal = signal
  }

  /** This node's render of frame n, made once per run of the node. */
  async render(job: JobRecord, n: number): Promise<OwnRender> {
    const key = `${job.id}!${n}`
    const known = this.renders.get(key)
    if (known) return known
    const outDir = join(this.host.home, 'jobs', job.id, 'verify')
    await mkdir(outDir, { recursive: true })
    try {
      const result = await this.renderUnit(job, n, outDir, this.signal)
      const file = await this.host.blobs.put(result.file)
      const own = {
        file: this.host.blobs.path(file),
        hash: file,
        pixelHash: result.pixelHash,
        costMs: result.costMs,
      }
      this.renders.set(key, own)
      return own
    } finally {
      await rm(outDir, { recursive: true, force: true })
    }
  }

  known(job: string, n: number): OwnRender | undefined {
    return this.renders.get(`${job}!${n}`)
  }
}

/** Pixel hashes first (renders of one renderer version are identical); else PSNR over the decoded images. */
export async function compareImages(
  a: { file: string; pixelHash: string },
  b: { file: string; pixelHash: string },
): Promise<Likeness> {
  if (a.pixelHash === b.pixelHash) return { alike: true, psnr: Number.POSITIVE_INFINITY }
  const psnr = await framePsnr(a.file, b.file)
  return { alike: psnr >= PSNR_MIN_DB, psnr }
}
