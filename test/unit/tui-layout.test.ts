import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BLOCK_BAR, progressBar } from '../../src/render/index.ts'
import { credits, eta } from '../../src/tui/format.ts'
import { groupFrames, sparkline, wuStats } from '../../src/tui/frame-strip.ts'
import { allocateRows, columnWidths, windowStart } from '../../src/tui/layout.ts'
import type { FrameState } from '../../src/tui/model.ts'

describe('allocateRows', () => {
  it('shares rows a round at a time, so a long log cannot starve the jobs', () => {
    expect(allocateRows(10, [{ need: 50 }, { need: 50 }, { need: 2, max: 3 }, { need: 100 }])).toEqual([
      3, 3, 2, 2,
    ])
  })

  it('gives rows one section does not need to the others', () => {
    expect(allocateRows(10, [{ need: 1 }, { need: 3 }, { need: 100 }])).toEqual([1, 3, 6])
  })

  it('never gives more than there is, nor more than a section needs or may take', () => {
    const section = fc.record({ need: fc.nat(200), max: fc.option(fc.nat(20), { nil: undefined }) })
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 300 }),
        fc.array(section, { maxLength: 6 }),
        (available, sections) => {
          const rows = allocateRows(available, sections)
          expect(rows.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(Math.max(0, available))
          rows.forEach((n, i) => {
            expect(n).toBeLessThanOrEqual(
              Math.min(sections[i]!.need, sections[i]!.max ?? Number.POSITIVE_INFINITY),
            )
          })
          const wanted = sections.reduce(
            (sum, s) => sum + Math.min(s.need, s.max ?? Number.POSITIVE_INFINITY),
            0,
          )
          expect(rows.reduce((a, b) => a + b, 0)).toBe(Math.min(Math.max(0, available), wanted))
        },
      ),
    )
  })
})

describe('columnWidths', () => {
  it('fills the width exactly: fixed columns, flexible ones by share, one space between', () => {
    const widths = columnWidths([{ width: 10 }, { flex: 1 }, { flex: 2 }, { width: 5 }], 80)
    expect(widths).toEqual([10, 20, 42, 5])
    expect(widths.reduce((a, b) => a + b, 0) + 3).toBe(80)
  })

  it('leaves out the columns with the highest drop rank until the rest fit', () => {
    const columns = [{ width: 10 }, { flex: 1, min: 10 }, { width: 5, drop: 1 }, { width: 5, drop: 2 }]
    expect(columnWidths(columns, 40)).toEqual([10, 17, 5, 5])
    expect(columnWidths(columns, 30)).toEqual([10, 13, 5, 0])
    expect(columnWidths(columns, 21)).toEqual([10, 10, 0, 0])
  })

  it('keeps a flexible column readable on a narrow terminal', () => {
    expect(columnWidths([{ width: 30 }, { flex: 1, min: 12 }], 20)).toEqual([30, 12])
  })
})

describe('windowStart', () => {
  it('keeps the selected row in view, near the middle, without running past the end', () => {
    expect(windowStart(0, 5, 3)).toBe(0)
    expect(windowStart(1, 5, 20)).toBe(0)
    expect(windowStart(10, 5, 20)).toBe(8)
    expect(windowStart(19, 5, 20)).toBe(15)
  })
})

describe('the frame strip', () => {
  /** Frames in rows of the strip's groups, so each row reads as the cell it makes. */
  const frames = (...rows: FrameState[][]) => rows.flat()

  it('has a cell per frame when the terminal is wide enough', () => {
    const strip = groupFrames(frames(['verified', 'rendered', 'claimed', 'failed', 'waiting']), 80)
    expect(strip).toEqual({ cells: ['verified', 'rendered', 'claimed', 'failed', 'waiting'], perCell: 1 })
  })

  it('groups frames so that a failure or work under way is never hidden by its neighbours', () => {
    const strip = groupFrames(
      frames(
        ['verified', 'verified', 'verified', 'failed'],
        ['verified', 'claimed', 'waiting', 'waiting'],
        ['verified', 'rendered', 'verified', 'verified'],
        ['verified', 'waiting', 'waiting', 'waiting'],
        ['waiting', 'waiting', 'waiting', 'waiting'],
        ['verified', 'verified'],
      ),
      6,
    )
    expect(strip).toEqual({
      cells: ['failed', 'claimed', 'rendered', 'partial', 'waiting', 'verified'],
      perCell: 4,
    })
  })

  it('fits 10,000 frames into 80 cells of 125 frames', () => {
    const many: FrameState[] = Array.from({ length: 10_000 }, () => 'verified')
    const strip = groupFrames(many, 80)
    expect(strip.perCell).toBe(125)
    expect(strip.cells).toHaveLength(80)
  })

  it('draws WU per frame as bars scaled to the tallest, blank where nothing is rendered', () => {
    expect(sparkline([0.1, 0.2, null, 0.4, 0.8], 1)).toBe('▂▃ ▅█')
    expect(sparkline([0.1, 0.3, 0.8, null, null, null], 2)).toBe('▃█ ')
    expect(sparkline([0, 0], 1)).toBe('▁▁')
    expect(wuStats([0.1, null, 0.3])).toEqual({ mean: 0.2, max: 0.3 })
    expect(wuStats([null])).toBeNull()
  })
})

describe('figures', () => {
  it('read the way a user expects', () => {
    expect(credits(12_345)).toBe('12.345 cr')
    expect(credits(-500)).toBe('-0.500 cr')
    expect(credits(1_234_567_890)).toBe('1,234,567.890 cr')
    expect([null, 45_000, 250_000, 3_720_000, 30 * 3_600_000, 200 * 3_600_000].map(eta)).toEqual([
      '—',
      '45s',
      '4m10s',
      '1h02m',
      '30h00m',
      '8d08h',
    ])
    expect(progressBar(239, 240, 8, BLOCK_BAR)).toBe('███████░')
    expect(progressBar(240, 240, 8, BLOCK_BAR)).toBe('████████')
    expect(progressBar(0, 0, 4, BLOCK_BAR)).toBe('░░░░')
  })
})
