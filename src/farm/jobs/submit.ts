import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { type JobBody, type Ledger, MAX_JOB_FRAMES, MAX_LEASE_MS } from '../../ledger/index.ts'
import type { BlobStore } from '../../p2p/index.ts'
import {
  MAX_TILES_PER_SIDE,
  type RendererName,
  rendererForScene,
  TRACE_TIMEOUT_MS,
  tileGridProblem,
} from '../../render/index.ts'
import type { JobSpec } from '../control/api.ts'
import { FarmError } from '../errors.ts'
import { bundleScene, type SceneBundle } from '../scene/bundle.ts'
import type { SceneCache } from '../scene/cache.ts'
import { storeScene } from '../scene/manifest.ts'

/** POV-Ray's own default size; a .blend is rendered at this size too unless asked otherwise. */
export const DEFAULT_SIZE = { width: 320, height: 240 }
export const DEFAULT_FPS = 24
export const DEFAULT_ATTEMPTS = 3
/** 1 credit per WU: a frame of a minute on the reference machine earns its worker 1 credit. */
export const DEFAULT_PRICE_PER_WU = 1000

interface Submitter {
  readonly id: string
  readonly home: string
  readonly ledger: Ledger
  readonly blobs: BlobStore
  /** The version of the renderer the submitter renders with, which the job holds workers to. */
  rendererVersion(renderer: RendererName): Promise<string | undefined>
  /** Files this node fetched for others' jobs: those it now submits itself are kept. */
  readonly sceneCache?: SceneCache | undefined
}

const VERSION = /^\d+\.\d+(\.\d+){0,3}$/

/**
 * The job's frames and still of a `--tiles` job: one frame asked, split into tiles 1..cols*rows
 * that workers claim like frames. Checked before the scene is packed, so a bad grid costs nothing.
 */
function tiledFrames(
  spec: JobSpec,
  size: { width: number; height: number },
): Pick<JobBody, 'frames' | 'tiles'> {
  if (!spec.tiles) return { frames: { first: spec.first, last: spec.last } }
  const { cols, rows } = spec.tiles
  if (spec.first !== spec.last)
    throw FarmError.BAD_JOB(
      `--tiles splits one frame, not ${spec.first}-${spec.last}: give one frame, e.g. --frames ${spec.first}-${spec.first}`,
    )
  if (cols > MAX_TILES_PER_SIDE || rows > MAX_TILES_PER_SIDE)
    throw FarmError.BAD_JOB(`--tiles ${cols}x${rows} has more than ${MAX_TILES_PER_SIDE} tiles a side`)
  const problem = tileGridProblem(size, { cols, rows })
  if (problem) throw FarmError.BAD_JOB(`--tiles ${cols}x${rows} ${problem}: use fewer tiles`)
  return { frames: { first: 1, last: cols * rows }, tiles: { frame: spec.first, cols, rows } }
}

/** The version the job holds workers to: the one asked, else the submitter's; none when it has no such renderer. */
async function jobVersion(
  node: Submitter,
  renderer: RendererName,
  spec: JobSpec,
): Promise<Pick<JobBody, 'rendererVersion' | 'anyVersion'>> {
  if (spec.rendererVersion !== undefined && !VERSION.test(spec.rendererVersion))
    throw FarmError.BAD_JOB(
      `--renderer-version '${spec.rendererVersion}' is not a version such as 3.4 or 3.4.1`,
    )
  const version = spec.rendererVersion ?? (await node.rendererVersion(renderer))
  return {
    ...(version !== undefined && VERSION.test(version) ? { rendererVersion: version } : {}),
    ...(spec.anyVersion ? { anyVersion: true } : {}),
  }
}

/**
 * Traces what the scene reads with its renderer and lists what its archive holds (`farm submit
 * --list`). With `staging`, copies changed for the archive (a remapped .blend) are kept there.
 */
export async function planSubmission(
  spec: Pick<JobSpec, 'scene' | 'first' | 'last' | 'libraries' | 'maxArchiveBytes' | 'frameTimeoutMs'>,
  opts: { staging: string; remapCache?: string },
): Promise<SceneBundle> {
  const scene = resolve(spec.scene)
  const info = await stat(scene).catch(() => undefined)
  if (!info?.isFile()) throw FarmError.SCENE_FILE_NOT_FOUND(spec.scene)
  return bundleScene(scene, {
    renderer: rendererForScene(scene),
    animation: { first: spec.first, last: spec.last },
    staging: opts.staging,
    ...(opts.remapCache ? { remapCache: opts.remapCache } : {}),
    ...(spec.libraries ? { libraries: spec.libraries } : {}),
    ...(spec.maxArchiveBytes !== undefined ? { maxBytes: spec.maxArchiveBytes } : {}),
    ...(spec.frameTimeoutMs !== undefined
      ? { traceTimeoutMs: Math.min(spec.frameTimeoutMs, TRACE_TIMEOUT_MS) }
      : {}),
  })
}

/**
 * Packs the scene's directory into the blob store and writes the `job` entry; returns the job id
 * and what the person submitting should know of the packing (a scene that could not be traced).
 */
export async function submitJob(node: Submitter, spec: JobSpec): Promise<{ id: string; notes: string[] }> {
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
  const size = spec.size ?? DEFAULT_SIZE
  const frames = tiledFrames(spec, size)
  const version = await jobVersion(node, renderer, spec)
  const stitcher = spec.stitcher === undefined || spec.stitcher === 'self' ? node.id : spec.stitcher
  if (stitcher !== node.id && node.ledger.state().nodes[stitcher] === undefined)
    throw FarmError.UNKNOWN_STITCHER(stitcher)

  const staging = await mkdtemp(join(tmpdir(), 'farm-submit-'))
  let stored: Awaited<ReturnType<typeof storeScene>>
  let libraries: string[]
  let notes: string[]
  try {
    const bundle = await planSubmission(spec, { staging, remapCache: join(node.home, 'cache', 'remap') })
    if (bundle.missing.length > 0 && !spec.allowMissing)
      throw FarmError.SCENE_FILES_MISSING(spec.scene, bundle.missing)
    stored = await storeScene(bundle.plan, node.blobs)
    libraries = bundle.libraries
    notes = bundle.notes
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  await node.sceneCache?.forget(stored.blobs)

  const body: JobBody = {
    name: spec.name ?? basename(scene).replace(/\.[^.]+$/, ''),
    scene: stored.hash,
    sceneFormat: 'files',
    sceneFile: basename(scene),
    renderer,
    ...frames,
    size,
    fps: spec.fps ?? DEFAULT_FPS,
    pricePerWU: spec.pricePerWU ?? DEFAULT_PRICE_PER_WU,
    stitcher,
    attempts: spec.attempts ?? DEFAULT_ATTEMPTS,
    failFast: spec.failFast ?? false,
    ...(spec.budget !== undefined ? { budget: spec.budget } : {}),
    ...(spec.verifyRate !== undefined ? { verifyRate: spec.verifyRate } : {}),
    ...(spec.frameTimeoutMs !== undefined ? { frameTimeoutMs: spec.frameTimeoutMs } : {}),
    ...version,
    ...(libraries.length > 0 ? { libraries } : {}),
  }
  const entry = await node.ledger.append('job', body)
  // The submitter renders its own jobs: it needs no convincing.
  await node.ledger.append('accept', { job: entry.hash })
  return { id: entry.hash, notes }
}
