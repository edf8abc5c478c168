import { describe, expect, it } from 'vitest'
import {
  estimateJob,
  frameCostModel,
  frameMilliWU,
  frameOrder,
  payment,
  renderMsFor,
} from '../../src/farm/schedule/estimate.ts'

describe('work units', () => {
  it('counts render minutes times WUPM, in milli-WU', () => {
    expect(frameMilliWU(120_000, 1.5)).toBe(3000)
    expect(frameMilliWU(30_000, 1)).toBe(500)
  })

  it('turns WU back into render time on a worker of a given speed', () => {
    expect(renderMsFor(3000, 1.5)).toBe(120_000)
    expect(renderMsFor(1000, 0)).toBe(60_000)
  })

  it('pays integer milli-credits, rounding down', () => {
    expect(payment(1500, 200)).toBe(300)
    expect(payment(1, 999)).toBe(0)
  })
})

describe('frameOrder', () => {
  it('starts with samples spread over the whole timeline, then the rest in order', () => {
    const order = frameOrder(1, 100)
    expect(order.slice(0, 4)).toEqual([1, 100, 51, 26])
    expect(order.slice(0, 10).every((f) => f >= 1 && f <= 100)).toBe(true)
    const rest = order.slice(10)
    expect(rest).toEqual([...rest].sort((a, b) => a - b))
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
  })

  it('handles a single frame and tiny ranges', () => {
    expect(frameOrder(7, 7)).toEqual([7])
    expect(frameOrder(1, 3)).toEqual([1, 3, 2])
  })
})

describe('estimation', () => {
  it('interpolates a frame cost between the nearest rendered frames and holds it beyond them', () => {
    const cost = frameCostModel([
      { frame: 10, milliWU: 1000 },
      { frame: 30, milliWU: 3000 },
    ])!
    expect(cost(20)).toBe(2000)
    expect(cost(1)).toBe(1000)
    expect(cost(99)).toBe(3000)
    expect(frameCostModel([])).toBeUndefined()
  })

  it('extrapolates the total WU from spread samples and gives the ETA over the workers WUPM', () => {
    const estimate = estimateJob({
      first: 1,
      last: 11,
      rendered: [
        { frame: 1, milliWU: 1000 },
        { frame: 11, milliWU: 3000 },
      ],
      workerWupm: [1, 3],
    })
    // Frames 2..10 interpolate from 1.2 to 2.8 WU: 18 WU left, 22 WU in all.
    expect(estimate.framesDone).toBe(2)
    expect(estimate.remainingMilliWU).toBe(18_000)
    expect(estimate.totalMilliWU).toBe(22_000)
    // 18 WU over 4 WUPM = 4.5 minutes.
    expect(estimate.etaMs).toBe(270_000)
  })

  it('says it does not know before the first frame or without workers', () => {
    const none = estimateJob({ first: 1, last: 5, rendered: [], workerWupm: [2] })
    expect(none.totalMilliWU).toBeUndefined()
    expect(none.etaMs).toBeUndefined()
    const idle = estimateJob({ first: 1, last: 5, rendered: [{ frame: 1, milliWU: 10 }], workerWupm: [] })
    expect(idle.remainingMilliWU).toBe(40)
    expect(idle.etaMs).toBeUndefined()
  })
})
