import { stat } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { type JobBody, type Ledger, MAX_JOB_FRAMES, MAX_LEASE_MS } from '../../ledger/index.ts'
import type { BlobStore } from '../../p2p/index.ts'
import { rendererForScene } from '../../render/index.ts'
import type { JobSpec } from '../control/api.ts'
import { FarmError } from '../errors.ts'
import { packScene } from '../scene/archive.ts'

/** POV-Ray's own default size; a .blend is rendered at this size too unless asked otherwise. */
export const DEFAULT_SIZE = { width: 320, height: 240 }
export const DEFAULT_FPS = 24
export const DEFAULT_ATTEMPTS = 3
/** 1 credit per WU: a frame of a minute on the reference machine earns its worker 1 credit. */
export const DEFAULT_PRICE_PER_WU = 1000

interface Submitter {
  readonly id: string
  readonly ledger: Ledger
  readonly blobs: BlobStore
}

/** Packs the scene's directory into the blob store and writes the `job` entry; returns the job id. */
export async function submitJob(node: Submitter, spec: JobSpec): Promise<string> {
  const scene = resolve(spec.scene)
  const info = await stat(scene).catch(() => undefined)
  if (!info?.isFile()) throw FarmError.SCENE_FILE_NOT_FOUND(spec.scene)
  const renderer = rendererForScene(scene)
  if (
    !Number.isInteger(spec.first) ||
    !Number.isInteger(spec.last) ||
    spec.first < 0 ||
    spec.last < spec.first
  )
    throw FarmError.BAD_JOB(`frames ${spec.first}-${spec.last} are not a range such as 1-24`)
  if (spec.frameTimeoutMs !== undefined && spec.frameTimeoutMs > MAX_LEASE_MS)
    throw FarmError.BAD_JOB(`a frame timeout is at most ${MAX_LEASE_MS / 3600_000} h`)
  if (spec.last - spec.first >= MAX_JOB_FRAMES)
    throw FarmError.BAD_JOB(`a job has at most ${MAX_JOB_FRAMES} frames; split it into several jobs`)
  const stitcher = spec.stitcher === undefined || spec.stitcher === 'self' ? node.id : spec.stitcher
  if (stitcher !== node.id && node.ledger.state().nodes[stitcher] === undefined)
    throw FarmError.UNKNOWN_STITCHER(stitcher)

  const tmp = await node.blobs.tempFile()
  const packed = await packScene(dirname(scene), tmp, {
    ...(spec.maxArchiveBytes !== undefined ? { maxBytes: spec.maxArchiveBytes } : {}),
  })
  await node.blobs.adopt(tmp, packed.sha256)

  const body: JobBody = {
    name: spec.name ?? basename(scene).replace(/\.[^.]+$/, ''),
    scene: packed.sha256,
    sceneFile: basename(scene),
    renderer,
    frames: { first: spec.first, last: spec.last },
    size: spec.size ?? DEFAULT_SIZE,
    fps: spec.fps ?? DEFAULT_FPS,
    pricePerWU: spec.pricePerWU ?? DEFAULT_PRICE_PER_WU,
    stitcher,
    attempts: spec.attempts ?? DEFAULT_ATTEMPTS,
    failFast: spec.failFast ?? false,
    ...(spec.budget !== undefined ? { budget: spec.budget } : {}),
    ...(spec.verifyRate !== undefined ? { verifyRate: spec.verifyRate } : {}),
    ...(spec.frameTimeoutMs !== undefined ? { frameTimeoutMs: spec.frameTimeoutMs } : {}),
  }
  const entry = await node.ledger.append('job', body)
  // The submitter renders its own jobs: it needs no convincing.
  await node.ledger.append('accept', { job: entry.hash })
  return entry.hash
}
