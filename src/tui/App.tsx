import { useWindowSize } from 'ink'
import { Dashboard } from './Dashboard.tsx'
import type { DashboardActions, ModelSource } from './model.ts'
import { useThrottled } from './use-throttled.ts'

export interface AppProps {
  source: ModelSource
  actions: DashboardActions
  /** Shortest time between two renders caused by the model: 250 ms, four a second. */
  intervalMs?: number
}

/** The dashboard on a live model, sized to the terminal and re-laid out when it is resized. */
export function App({ source, actions, intervalMs = 250 }: AppProps) {
  const model = useThrottled(source, intervalMs)
  const { columns, rows } = useWindowSize()
  return <Dashboard model={model} actions={actions} columns={columns} rows={rows} />
}
