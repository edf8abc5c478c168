import { join } from 'node:path'
import type { JobBody } from '../../ledger/index.ts'
import { type FrameResult, type RenderOptions, renderFrames, tileRegion } from '../../render/index.ts'

export interface TilesRequest
  extends Omit<RenderOptions, 'frames' | 'animation' | 'outDir' | 'onFrame' | 'region'> {
  size: NonNullable<RenderOptions['size']>
  tiles: NonNullable<JobBody['tiles']>
  /** The tiles to render (1..cols*rows), one renderer process each. */
  numbers: readonly number[]
  outDir: string
  /** Called with each tile as it is done: its `frame` is the tile's number, as the job counts its work. */
  onTile: (result: FrameResult) => void
}

/** Renders tiles of a still job's frame, each into its own directory, one after another. */
export async function renderTiles(request: TilesRequest): Promise<void> {
  const { tiles, numbers, outDir, onTile, ...render } = request
  const grid = { cols: tiles.cols, rows: tiles.rows }
  for (const tile of numbers) {
    await renderFrames({
      ...render,
      frames: [tiles.frame],
      animation: { first: tiles.frame, last: tiles.frame },
      region: tileRegion(request.size, grid, tile),
      outDir: join(outDir, String(tile)),
      onFrame: (result) => onTile({ ...result, frame: tile }),
    })
  }
}
