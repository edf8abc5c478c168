import { writeFile } from 'node:fs/promises'

/** WU per frame drawn for people: bars in a terminal line, and a PNG chart (`farm estimate --chart`). */

const BARS = '▁▂▃▄▅▆▇█'

/**
 * WU per frame as bars, `perCell` frames per bar (the dashboard's strip grouping, so bars line up
 * with its cells): each bar is its frames' mean, scaled to the tallest bar. A blank is nothing
 * known yet.
 */
export function sparkline(values: readonly (number | null)[], perCell: number): string {
  const means: (number | null)[] = []
  for (let start = 0; start < values.length; start += perCell) {
    let sum = 0
    let known = 0
    for (let i = start; i < Math.min(values.length, start + perCell); i++) {
      const v = values[i]
      if (v !== null && v !== undefined) {
        sum += v
        known++
      }
    }
    means.push(known === 0 ? null : sum / known)
  }
  const max = Math.max(0, ...means.map((m) => m ?? 0))
  return means
    .map((m) => (m === null ? ' ' : BARS[max === 0 ? 0 : Math.round((m / max) * (BARS.length - 1))]))
    .join('')
}

export interface ChartBar {
  value: number
  /** Measured (drawn dark) rather than interpolated (drawn light). */
  measured: boolean
}

const CHART_HEIGHT = 160
const MARGIN = 8

/**
 * A bar chart of WU per frame as a PNG: one bar per frame (at least 2 px, at most 32, so that a
 * short job's chart is still wider than tall), measured
 * frames dark blue, interpolated ones light, on white with a baseline, so the cost curve of the
 * timeline reads at a glance.
 */
export async function writeBarChart(file: string, bars: readonly ChartBar[]): Promise<void> {
  const { PNG } = await import('pngjs')
  const barWidth = Math.max(2, Math.min(32, Math.floor(1200 / Math.max(1, bars.length))))
  const width = MARGIN * 2 + barWidth * bars.length
  const height = CHART_HEIGHT + MARGIN * 2
  const png = new PNG({ width, height })
  png.data.fill(255)
  const put = (x: number, y: number, [r, g, b]: readonly [number, number, number]) => {
    const i = (y * width + x) * 4
    png.data[i] = r
    png.data[i + 1] = g
    png.data[i + 2] = b
    png.data[i + 3] = 255
  }
  const max = Math.max(0, ...bars.map((b) => b.value))
  const base = MARGIN + CHART_HEIGHT
  for (const [n, bar] of bars.entries()) {
    const tall = max === 0 ? 0 : Math.max(1, Math.round((bar.value / max) * CHART_HEIGHT))
    const colour = bar.measured ? ([30, 70, 160] as const) : ([160, 185, 230] as const)
    for (let x = MARGIN + n * barWidth; x < MARGIN + (n + 1) * barWidth - (barWidth > 3 ? 1 : 0); x++)
      for (let y = base - tall; y < base; y++) put(x, y, colour)
  }
  for (let x = MARGIN - 2; x < width - MARGIN + 2; x++) put(x, base, [0, 0, 0])
  await writeFile(file, PNG.sync.write(png))
}
