import { Box, Text } from 'ink'
import { BLOCK_BAR, progressBar } from '../render/index.ts'
import { count, eta } from './format.ts'
import { windowStart } from './layout.ts'
import type { JobRow, JobState } from './model.ts'
import { type Cell, Table, type TableColumn } from './Table.tsx'

export interface JobsTableProps {
  jobs: JobRow[]
  selected: number
  /** Rows for jobs below the titles; the window scrolls to keep the selected job in it. */
  rows: number
  width: number
  /** Instead of "Jobs (n)": the job view shows one job under its own title. */
  title?: string
}

const STATE_COLOR: Record<JobState, string | undefined> = {
  queued: undefined,
  rendering: 'cyan',
  stitching: 'cyan',
  done: 'green',
  failed: 'red',
  cancelled: 'gray',
}

const BAR_WIDTH = 8

export function JobsTable({ jobs, selected, rows, width, title }: JobsTableProps) {
  if (jobs.length === 0) {
    return (
      <Box flexDirection="column">
        <Text bold>Jobs</Text>
        <Text dimColor>No jobs yet. Submit one: farm submit scene.pov --frames 1-120</Text>
      </Box>
    )
  }
  const start = windowStart(selected, rows, jobs.length)
  const shown = jobs.slice(start, start + rows)
  const columns: TableColumn[] = [
    {
      title: title ?? `Jobs (${shown.length < jobs.length ? `${shown.length}/` : ''}${jobs.length})`,
      flex: 1,
      min: 12,
    },
    { title: 'Owner', width: 8, drop: 5 },
    { title: 'Renderer', width: 8, drop: 6 },
    { title: 'Progress', width: BAR_WIDTH + 13 },
    { title: 'Now', width: 3, align: 'right', drop: 3 },
    { title: 'Fail', width: 4, align: 'right', drop: 4 },
    { title: 'ETA', width: 6, align: 'right', drop: 2 },
    { title: 'State', width: 9, drop: 1 },
  ]
  const table = shown.map((job, i) => ({
    key: job.id,
    cells: [
      nameCell(job, start + i === selected),
      { text: job.owner },
      { text: job.renderer },
      {
        text: `${progressBar(job.verified, job.frames, BAR_WIDTH, BLOCK_BAR)} ${count(job.verified)}/${count(job.frames)}`,
        color: 'green',
      },
      { text: String(job.rendering) },
      job.failed > 0 ? { text: String(job.failed), color: 'red' } : { text: '0', dim: true },
      { text: job.state === 'rendering' || job.state === 'queued' ? eta(job.etaMs) : '' },
      { text: job.state, color: STATE_COLOR[job.state] },
    ],
  }))
  return <Table columns={columns} rows={table} width={width} />
}

/** `▸` marks the cursor; `✓` a job this worker renders, `?` one that waits for `a`. */
function nameCell(job: JobRow, selected: boolean): Cell {
  const open = job.state === 'queued' || job.state === 'rendering'
  const mark = job.accepted ? '✓' : open ? '?' : ' '
  return { text: `${selected ? '▸' : ' '}${mark} ${job.name}`, bold: selected }
}
