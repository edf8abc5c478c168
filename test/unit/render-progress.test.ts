import { describe, expect, it } from 'vitest'
import {
  BLOCK_BAR,
  describeProgress,
  formatDuration,
  progressBar,
  progressStats,
} from '../../src/render/index.ts'

describe('render progress', () => {
  it('says frames done, frames per minute and ETA from this run only', () => {
    // 10 of 40 done, 4 of them kept from an earlier run: 6 rendered in 60 s -> 6/min, 30 left.
    const stats = progressStats({ done: 10, resumed: 4, total: 40, elapsedMs: 60_000 })
    expect(describeProgress(stats)).toBe('10/40 frames  6.0 frames/min  ETA 5m00s')
  })

  it('gives no rate or ETA before the first rendered frame, and no ETA when done', () => {
    expect(describeProgress(progressStats({ done: 3, resumed: 3, total: 9, elapsedMs: 500 }))).toBe(
      '3/9 frames',
    )
    expect(describeProgress(progressStats({ done: 9, resumed: 0, total: 9, elapsedMs: 90_000 }))).toBe(
      '9/9 frames  6.0 frames/min',
    )
  })

  it('says durations in two units at most, rounding time left up', () => {
    expect(
      [400, 12_400, 45_000, 250_000, 3_725_000, 30 * 3_600_000, 200 * 3_600_000].map(formatDuration),
    ).toEqual(['1s', '13s', '45s', '4m10s', '1h02m', '30h00m', '8d08h'])
  })

  it('draws a bar that is full only when every frame is done', () => {
    expect(progressBar(1, 4, 8)).toBe('[##------]')
    expect(progressBar(239, 240, 8)).toBe('[#######-]')
    expect(progressBar(240, 240, 8)).toBe('[########]')
    expect(progressBar(0, 0, 4)).toBe('[----]')
    expect(progressBar(239, 240, 8, BLOCK_BAR)).toBe('███████░')
    expect(progressBar(0, 0, 4, BLOCK_BAR)).toBe('░░░░')
  })
})
