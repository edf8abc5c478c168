import { describe, expect, it } from 'vitest'
import type { FrameRecord } from '../../src/capture/index.ts'
import { planSegments } from '../../src/capture/timelapse/segments.ts'
import { fakeFrame as frame } from '../helpers/capture-day.ts'

describe('live timelapse segments', () => {
  const day = Array.from({ length: 10 }, (_, i) => frame(`${String(i).padStart(2, '0')}0000.jpg`))
  const plan = (frames: FrameRecord[], settings = 'a') => planSegments(frames, { segmentFrames: 4, settings })

  it('cuts the day into segments of the given length, the last one short', () => {
    expect(plan(day).map((s) => s.frames.length)).toEqual([4, 4, 2])
    expect(plan(day).map((s) => s.name.slice(0, 5))).toEqual(['0000-', '0001-', '0002-'])
  })
  it('names a segment by what it holds: an appended frame changes only the last name', () => {
    const before = plan(day).map((s) => s.name)
    const after = plan([...day, frame('230000.jpg')]).map((s) => s.name)
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2))
    expect(after[2]).not.toBe(before[2])
  })
  it('renames every segment from a changed frame on, and all of them when the settings change', () => {
    const changed = day.map((f, i) => (i === 5 ? frame(f.file, 'other') : f))
    const [a, b, c] = plan(day).map((s) => s.name)
    const names = plan(changed).map((s) => s.name)
    expect(names[0]).toBe(a)
    expect(names[1]).not.toBe(b)
    expect(names[2]).toBe(c)
    expect(
      plan(day, 'b')
        .map((s) => s.name)
        .filter((n) => plan(day).some((s) => s.name === n)),
    ).toEqual([])
  })
})
