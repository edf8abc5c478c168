import { Box, Text } from 'ink'
import { CELL_COLOR, CELL_GLYPH, type CellState } from './frame-strip.ts'

export interface FrameStripProps {
  cells: readonly CellState[]
  perCell: number
  firstFrame: number
  /** Cells per line. */
  lineWidth: number
  /** Width of the frame-number label before each line; 0 for no labels. */
  labelWidth: number
}

/** The frames of a job as coloured cells, wrapped into lines; each run of one state is one Text. */
export function FrameStrip({ cells, perCell, firstFrame, lineWidth, labelWidth }: FrameStripProps) {
  const lines: { first: number; cells: readonly CellState[] }[] = []
  for (let i = 0; i < cells.length; i += lineWidth) {
    lines.push({ first: firstFrame + i * perCell, cells: cells.slice(i, i + lineWidth) })
  }
  return (
    <Box flexDirection="column">
      {lines.map((line) => (
        <Text key={line.first} wrap="truncate">
          {labelWidth > 0 && <Text dimColor>{String(line.first).padStart(labelWidth - 1)} </Text>}
          {runs(line.cells).map((run) => (
            <Text key={run.start} color={CELL_COLOR[run.state]}>
              {CELL_GLYPH[run.state].repeat(run.length)}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  )
}

function runs(line: readonly CellState[]): { state: CellState; start: number; length: number }[] {
  const out: { state: CellState; start: number; length: number }[] = []
  for (let i = 0; i < line.length; i++) {
    const last = out[out.length - 1]
    if (last !== undefined && last.state === line[i]) last.length++
    else out.push({ state: line[i]!, start: i, length: 1 })
  }
  return out
}
