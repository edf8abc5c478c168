import { Box, Text } from 'ink'
import { clock } from './format.ts'
import type { LogLine } from './model.ts'

export interface LogPaneProps {
  lines: LogLine[]
  /** The newest lines that fit are shown, oldest at the top. */
  rows: number
}

const LEVEL_COLOR = { debug: 'gray', info: undefined, warn: 'yellow', error: 'red' } as const

export function LogPane({ lines, rows }: LogPaneProps) {
  if (rows <= 0) return null
  const shown = lines.slice(-rows)
  return (
    <Box flexDirection="column">
      {shown.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: log lines have no identity; position from the newest is stable enough
        <Text key={i} wrap="truncate-end">
          <Text dimColor>{clock(line.ts)}</Text> <Text color={LEVEL_COLOR[line.level]}>{line.text}</Text>
        </Text>
      ))}
    </Box>
  )
}
