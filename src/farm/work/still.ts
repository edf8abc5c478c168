import type { JobBody } from '../../ledger/index.ts'
import { assembleTiles, type Size, tileRegion } from '../../render/index.ts'

/** The size of unit `n`'s image: the job's size, or for a still in tiles that of tile n. */
export function imageSizeOf(spec: JobBody, n: number): Size {
  if (!spec.tiles) return spec.size
  const { width, height } = tileRegion(spec.size, spec.tiles, n)
  return { width, height }
}

/** What the stitcher makes of a job's images: a video, or the PNG a still's tiles make. */
export function outputExtension(spec: Pick<JobBody, 'tiles'>): '.png' | '.mp4' {
  return spec.tiles ? '.png' : '.mp4'
}

/** Puts a still's tile images (tile 1 first) together into the whole frame at `out`. */
export async function assembleStill(spec: JobBody, images: readonly string[], out: string): Promise<void> {
  const grid = spec.tiles!
  await assembleTiles(
    images.map((file, i) => ({ file, region: tileRegion(spec.size, grid, i + 1) })),
    spec.size,
    out,
  )
}
