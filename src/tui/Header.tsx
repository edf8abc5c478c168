import { Box, Text } from 'ink'
import { credits, plural } from './format.ts'
import type { HeaderModel } from './model.ts'

export interface HeaderProps {
  header: HeaderModel
  width: number
}

/** One line: which swarm, which node, how connected, how much credit. */
export function Header({ header, width }: HeaderProps) {
  const sep = <Text dimColor> │ </Text>
  return (
    <Box width={width}>
      <Text wrap="truncate-end">
        <Text bold>farm</Text> {header.swarmId.slice(0, 8)}
        {sep}
        <Text bold>{header.nodeName}</Text> ({header.owner})
        {header.paused && <Text color="yellow"> paused</Text>}
        {sep}
        {plural(header.peers, 'peer', 'peers')}
        {sep}
        {plural(header.entries, 'entry', 'entries')},{' '}
        {header.inSync ? <Text color="green">in sync</Text> : <Text color="yellow">syncing</Text>}
        {sep}
        {credits(header.balance)}
      </Text>
    </Box>
  )
}
