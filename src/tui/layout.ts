/** How many rows each section of the screen gets. */

export interface SectionNeed {
  /** Rows it could fill. */
  need: number
  /** Rows it may take at most, whatever is free. */
  max?: number
}

/**
 * Shares `available` rows between sections one row per section per round, in the order given, so
 * a long log cannot starve the jobs, and rows a section does not need go to the others.
 */
export function allocateRows(available: number, sections: readonly SectionNeed[]): number[] {
  const rows = sections.map(() => 0)
  const wants = sections.map((s) => Math.max(0, Math.min(s.need, s.max ?? Number.POSITIVE_INFINITY)))
  let left = Math.max(0, available)
  let gave = true
  while (left > 0 && gave) {
    gave = false
    for (let i = 0; i < rows.length && left > 0; i++) {
      if (rows[i]! < wants[i]!) {
        rows[i]!++
        left--
        gave = true
      }
    }
  }
  return rows
}

export interface ColumnSpec {
  /** Fixed width, or... */
  width?: number
  /** ...a share of what the fixed columns leave. */
  flex?: number
  /** Never narrower than this, even on a narrow terminal. */
  min?: number
  /** On a terminal too narrow for all columns, those with a drop rank go, the highest first. */
  drop?: number
}

/**
 * Widths of table columns separated by one space, filling `total` columns; 0 for a column
 * dropped because the terminal is too narrow for it.
 */
export function columnWidths(columns: readonly ColumnSpec[], total: number): number[] {
  const kept = columns.map(() => true)
  const needed = () =>
    columns.reduce((sum, c, i) => (kept[i] ? sum + (c.width ?? c.min ?? 1) + 1 : sum), 0) - 1
  const droppable = columns
    .map((c, i) => ({ rank: c.drop, i }))
    .filter((c): c is { rank: number; i: number } => c.rank !== undefined)
    .sort((a, b) => b.rank - a.rank)
  for (const { i } of droppable) {
    if (needed() <= total) break
    kept[i] = false
  }
  const shown = columns.filter((_, i) => kept[i])
  const fixed = shown.reduce((sum, c) => sum + (c.width ?? 0), 0)
  const flexTotal = shown.reduce((sum, c) => sum + (c.flex ?? 0), 0)
  let free = Math.max(0, total - fixed - (shown.length - 1))
  const widths = columns.map((c, i) => {
    if (!kept[i]) return 0
    if (c.width !== undefined) return c.width
    return Math.max(c.min ?? 1, Math.floor((free * (c.flex ?? 0)) / Math.max(1, flexTotal)))
  })
  // Rounding down leaves a few columns unused: give them to the last flexible column.
  free -= widths.reduce((sum, w, i) => sum + (columns[i]!.width === undefined ? w : 0), 0)
  const last = columns.findLastIndex((c, i) => kept[i] && c.width === undefined)
  if (last >= 0 && free > 0) widths[last]! += free
  return widths
}

/** The first row of a window of `size` rows over `total`, keeping `index` in view near its middle. */
export function windowStart(index: number, size: number, total: number): number {
  if (total <= size) return 0
  return Math.max(0, Math.min(index - Math.floor(size / 2), total - size))
}
