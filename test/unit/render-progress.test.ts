import { describe, expect, it } from 'vitest'
import { describeProgress, formatDuration, progressBar, progressStats } from '../../src/render/index.ts'

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

  it('formats durations and bars', () => {
    expect(formatDuration(12_400)).toBe('12s')
    expect(formatDuration(3_725_000)).toBe('1h02m')
    expect(progressBar(1, 4, 8)).toBe('[##------]')
  })
})
