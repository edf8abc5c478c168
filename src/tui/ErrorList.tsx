import { Box, Text } from 'ink'
import type { FrameError } from './model.ts'

export interface ErrorListProps {
  errors: FrameError[]
  /** The newest that fit are shown. */
  rows: number
}

export function ErrorList({ errors, rows }: ErrorListProps) {
  if (rows <= 0) return null
  return (
    <Box flexDirection="column">
      {errors.slice(-rows).map((e) =>
        e.mismatch ? (
          <Text key={`${e.frame}-${e.worker}-mismatch`} wrap="truncate-end">
            <Text color="magenta">≠ #{e.frame}</Text> {e.worker}: {e.message}
          </Text>
        ) : (
          <Text key={`${e.frame}-${e.worker}-${e.attempt}`} wrap="truncate-end">
            <Text color="red">✗ #{e.frame}</Text> {e.worker} (try {e.attempt}): {e.message}
          </Text>
        ),
      )}
    </Box>
  )
}
