import { Box, Text } from 'ink'

export interface KeyBarProps {
  width: number
  /** A question or a result to show instead of the keys. */
  message?: { text: string; tone: 'info' | 'error' | 'question' } | undefined
  /** The job view's Enter goes back instead of opening. */
  inJob: boolean
  paused: boolean
}

const TONE_COLOR = { info: 'green', error: 'red', question: 'yellow' } as const

/** The bottom line: the keys, or what the last key did. */
export function KeyBar({ width, message, inJob, paused }: KeyBarProps) {
  if (message) {
    return (
      <Box width={width}>
        <Text wrap="truncate-end" color={TONE_COLOR[message.tone]}>
          {message.text}
        </Text>
      </Box>
    )
  }
  const keys: [string, string][] = [
    ['↑↓', 'select'],
    ['⏎', inJob ? 'back' : 'open'],
    ['a', 'accept'],
    ['p', paused ? 'resume' : 'pause'],
    ['c', 'cancel'],
    ['?', 'help'],
    ['q', 'quit'],
  ]
  return (
    <Box width={width}>
      <Text wrap="truncate-end">
        {keys.map(([key, what], i) => (
          <Text key={key}>
            {i > 0 && '  '}
            <Text bold color="cyan">
              {key}
            </Text>{' '}
            {what}
          </Text>
        ))}
      </Text>
    </Box>
  )
}
