import { Box, Text } from 'ink'
import { count, wupm } from './format.ts'
import type { WorkerActivity, WorkerRow } from './model.ts'
import { type Cell, Table, type TableColumn } from './Table.tsx'

export interface WorkersTableProps {
  workers: WorkerRow[]
  /** Rows for workers below the titles; the rest are counted in the title. */
  rows: number
  width: number
}

export function WorkersTable({ workers, rows, width }: WorkersTableProps) {
  if (workers.length === 0) {
    return (
      <Box flexDirection="column">
        <Text bold>Workers</Text>
        <Text dimColor>No workers known yet: the ledger has no node entries.</Text>
      </Box>
    )
  }
  const shown = workers.slice(0, rows)
  const online = workers.filter((w) => w.online).length
  const columns: TableColumn[] = [
    {
      title: `Workers (${shown.length < workers.length ? `${shown.length}/` : ''}${workers.length})`,
      width: 18,
    },
    { title: 'Owner', width: 8, drop: 2 },
    { title: `State, ${online} online`, flex: 1, min: 10 },
    { title: 'WUPM', width: 5, align: 'right', drop: 1 },
    { title: 'Session', width: 7, align: 'right', drop: 4 },
    { title: 'Total', width: 7, align: 'right', drop: 5 },
    { title: 'Enabled', width: 7, drop: 3 },
  ]
  const table = shown.map((w) => ({
    key: w.id,
    cells: [
      {
        text: `${w.online ? '●' : '○'} ${w.name}`,
        color: w.online ? 'green' : undefined,
        dim: !w.online,
        bold: w.self,
      },
      { text: w.owner },
      activityCell(w),
      { text: wupm(w.wupm) },
      { text: count(w.framesSession) },
      { text: count(w.framesTotal) },
      w.enabled ? { text: 'yes' } : { text: 'paused', color: 'yellow' },
    ],
  }))
  return <Table columns={columns} rows={table} width={width} />
}

function activityCell(worker: WorkerRow): Cell {
  if (worker.forked) return { text: 'forked: ignored', color: 'red' }
  if (!worker.online) return { text: worker.noSandbox ? 'offline, NO SANDBOX' : 'offline', dim: true }
  // A worker that runs other people's scenes with its full rights says so before what it does.
  if (worker.noSandbox) return { text: `NO SANDBOX ${activityText(worker.activity)}`, color: 'red' }
  return { text: activityText(worker.activity), color: worker.activity.kind === 'idle' ? undefined : 'cyan' }
}

function activityText(activity: WorkerActivity): string {
  switch (activity.kind) {
    case 'idle':
      return 'idle'
    case 'fetching':
      return `fetching ${activity.job}`
    case 'rendering':
      return `rendering ${activity.job} #${activity.frame}`
    case 'stitching':
      return `stitching ${activity.job}`
  }
}
