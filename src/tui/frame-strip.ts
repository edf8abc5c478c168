import type { FrameState } from './model.ts'

/** A cell of the strip stands for one frame, or for a group of them when the job is wider than the terminal. */
export type CellState = FrameState | 'partial'

export interface FrameStrip {
  cells: CellState[]
  /** Frames per cell; the last cell may hold fewer. */
  perCell: number
}

export const CELL_GLYPH: Record<CellState, string> = {
  verified: '█',
  rendered: '▓',
  claimed: '▒',
  partial: '░',
  waiting: '·',
  failed: '✗',
}

export const CELL_COLOR: Record<CellState, string> = {
  verified: 'green',
  rendered: 'cyan',
  claimed: 'yellow',
  partial: 'green',
  waiting: 'gray',
  failed: 'red',
}

/**
 * Groups frames into at most `cells` cells. What needs attention wins a cell: a failure, then
 * work under way; a cell is verified or rendered only when all its frames are.
 */
export function groupFrames(frames: readonly FrameState[], cells: number): FrameStrip {
  const perCell = Math.max(1, Math.ceil(frames.length / Math.max(1, cells)))
  const out: CellState[] = []
  for (let start = 0; start < frames.length; start += perCell) {
    const end = Math.min(frames.length, start + perCell)
    let failed = false
    let claimed = false
    let verified = 0
    let rendered = 0
    for (let i = start; i < end; i++) {
      const state = frames[i]
      if (state === 'failed') failed = true
      else if (state === 'claimed') claimed = true
      else if (state === 'verified') verified++
      else if (state === 'rendered') rendered++
    }
    const size = end - start
    if (failed) out.push('failed')
    else if (claimed) out.push('claimed')
    else if (verified === size) out.push('verified')
    else if (verified + rendered === size) out.push('rendered')
    else if (verified + rendered > 0) out.push('partial')
    else out.push('waiting')
  }
  return { cells: out, perCell }
}

export { sparkline } from '../render/index.ts'

/** Mean and largest WU of the frames rendered so far; null before the first. */
export function wuStats(values: readonly (number | null)[]): { mean: number; max: number } | null {
  let sum = 0
  let known = 0
  let max = 0
  for (const v of values) {
    if (v === null) continue
    sum += v
    known++
    if (v > max) max = v
  }
  return known === 0 ? null : { mean: sum / known, max }
}

/** Room for the number of a strip line's first frame and a space, when the strip has several lines. */
export function stripLabelWidth(firstFrame: number, frameCount: number): number {
  return String(firstFrame + frameCount - 1).length + 1
}
