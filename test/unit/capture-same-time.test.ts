import { describe, expect, it } from 'vitest'
import { parseAt, parseSpan, pickSameTime } from '../../src/capture/timelapse/same-time.ts'
import { fakeFrame as frame } from '../helpers/capture-day.ts'

describe('same time every day', () => {
  it('reads a year, a month, and a range of days', () => {
    expect(parseSpan('2026')).toEqual({ from: '2026-01-01', to: '2026-12-31', name: '2026' })
    expect(parseSpan('2026-02')).toEqual({ from: '2026-02-01', to: '2026-02-28', name: '2026-02' })
    expect(parseSpan('2026-12').to).toBe('2026-12-31')
    expect(parseSpan('2026-11-20..2027-01-05')).toEqual({
      from: '2026-11-20',
      to: '2027-01-05',
      name: '2026-11-20_2027-01-05',
    })
  })
  it('refuses a span or a time it cannot read, naming the option and the forms it takes', () => {
    for (const bad of ['2026-13', 'november', '2026-11-05..2026-11-01', '2026-02-30..2026-03-01']) {
      expect(() => parseSpan(bad), bad).toThrow(/--span '.*' is not valid: give a year \(2026\), a month/)
    }
    expect(parseAt('07:30')).toEqual({ text: '07:30', seconds: 27_000 })
    expect(() => parseAt('25:00')).toThrow(/--at '25:00' is not valid: give a time of day as HH:MM/)
  })
  it('takes the frame nearest the time each day, within the window, and names the days without one', () => {
    const days = [
      { day: '2026-11-01', frames: [frame('110000.jpg'), frame('115500.jpg'), frame('130000.jpg')] },
      { day: '2026-11-02', frames: [frame('113000.jpg'), frame('123000.jpg')] },
      { day: '2026-11-03', frames: [frame('060000.jpg'), frame('180000.jpg')] },
      { day: '2026-11-04', frames: [] },
    ]
    const { picked, skipped } = pickSameTime(days, 12 * 3600, 3600)
    expect(picked.map((p) => `${p.day} ${p.frame.file}`)).toEqual([
      '2026-11-01 115500.jpg',
      // A tie goes to the earlier frame.
      '2026-11-02 113000.jpg',
    ])
    expect(skipped).toEqual(['2026-11-03'])
  })
})
