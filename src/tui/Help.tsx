import { Box, Text } from 'ink'
import { CELL_COLOR, CELL_GLYPH, type CellState } from './frame-strip.ts'

export interface HelpProps {
  rows: number
}

const KEYS: [string, string][] = [
  ['↑ ↓', 'select a job (k and j work too)'],
  ['Enter', 'open the selected job: its frames on several lines; Enter or Esc goes back'],
  ['a', 'accept the selected job: this worker renders frames of another owner'],
  ['p', 'pause this worker (it finishes its frame, takes no new one) or resume it'],
  ['c', 'cancel the selected job, if it is yours; asks first'],
  ['?', 'this help; any key closes it'],
  ['q', 'quit: stops this node cleanly, as Ctrl+C does'],
]

const LEGEND: [CellState, string][] = [
  ['verified', 'verified'],
  ['rendered', 'rendered'],
  ['claimed', 'rendering'],
  ['partial', 'partly done'],
  ['waiting', 'waiting'],
  ['failed', 'failed'],
]

/** Keys and the frame strip's legend; cut to the rows there are. */
export function Help({ rows }: HelpProps) {
  const lines = [
    <Text key="title" bold>
      Keys
    </Text>,
    ...KEYS.map(([key, what]) => (
      <Text key={key} wrap="truncate-end">
        <Text bold color="cyan">
          {key.padEnd(6)}
        </Text>{' '}
        {what}
      </Text>
    )),
    <Text key="legend" wrap="truncate-end">
      <Text bold>Frames </Text>
      {LEGEND.map(([state, label]) => (
        <Text key={state}>
          {' '}
          <Text color={CELL_COLOR[state]}>{CELL_GLYPH[state]}</Text> {label}
        </Text>
      ))}
    </Text>,
    <Text key="jobs" wrap="truncate-end">
      <Text bold>Jobs </Text> ✓ this worker renders it ? not yet: press a to accept it
    </Text>,
  ]
  return <Box flexDirection="column">{lines.slice(0, rows)}</Box>
}
