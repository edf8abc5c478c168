import { Box, Text } from 'ink'
import { type ColumnSpec, columnWidths } from './layout.ts'

export interface TableColumn extends ColumnSpec {
  title: string
  align?: 'left' | 'right'
}

export interface Cell {
  text: string
  color?: string
  dim?: boolean
  bold?: boolean
}

export interface TableRow {
  key: string
  cells: Cell[]
}

export interface TableProps {
  columns: TableColumn[]
  rows: TableRow[]
  width: number
}

/** Columns one space apart, titles in bold, every cell cut to its column so rows never wrap; columns that do not fit are left out. */
export function Table({ columns, rows, width }: TableProps) {
  const widths = columnWidths(columns, width)
  const titles = columns.map((c) => ({ text: c.title, bold: true }))
  return (
    <Box flexDirection="column">
      <Row columns={columns} widths={widths} cells={titles} />
      {rows.map((row) => (
        <Row key={row.key} columns={columns} widths={widths} cells={row.cells} />
      ))}
    </Box>
  )
}

interface RowProps {
  columns: TableColumn[]
  widths: number[]
  cells: Cell[]
}

function Row({ columns, widths, cells }: RowProps) {
  const last = widths.findLastIndex((w) => w > 0)
  return (
    <Box>
      {cells.map((cell, i) =>
        widths[i] === 0 ? null : (
          <Box
            // biome-ignore lint/suspicious/noArrayIndexKey: a row's cells are its columns, in a fixed order
            key={i}
            width={widths[i]}
            flexShrink={0}
            marginRight={i < last ? 1 : 0}
            justifyContent={columns[i]?.align === 'right' ? 'flex-end' : 'flex-start'}
          >
            <Text wrap="truncate-end" color={cell.color} dimColor={cell.dim} bold={cell.bold}>
              {cell.text}
            </Text>
          </Box>
        ),
      )}
    </Box>
  )
}
