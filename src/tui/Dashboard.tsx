import { Box, Spacer, useApp } from 'ink'
import { useState } from 'react'
import { Header } from './Header.tsx'
import { Help } from './Help.tsx'
import { JobDetail } from './JobDetail.tsx'
import { JobsTable } from './JobsTable.tsx'
import { KeyBar } from './KeyBar.tsx'
import { LogPane } from './LogPane.tsx'
import type { DashboardActions, DashboardModel } from './model.ts'
import { jobViewRows, overviewRows } from './screen-layout.ts'
import { type Message, useDashboardKeys, type View } from './use-dashboard-keys.ts'
import { useSelection } from './use-selection.ts'
import { WorkersTable } from './WorkersTable.tsx'

export interface DashboardProps {
  model: DashboardModel
  actions: DashboardActions
  /** The terminal's size: the dashboard never draws more. */
  columns: number
  rows: number
}

/** The whole screen of `farm join`: one of three views, filling the terminal, keys at the bottom. */
export function Dashboard({ model, actions, columns, rows }: DashboardProps) {
  const [view, setView] = useState<View>('overview')
  const [message, setMessage] = useState<Message | undefined>(undefined)
  const [confirming, setConfirming] = useState<string | undefined>(undefined)
  const selection = useSelection(model.jobs, actions.onSelect)
  const { exit } = useApp()
  useDashboardKeys({ model, actions, view, setView, selection, confirming, setConfirming, setMessage, exit })
  const job = selection.job
  const keyBar = (
    <KeyBar
      width={columns}
      message={message}
      inJob={view === 'job' && job !== undefined}
      paused={model.header.paused}
    />
  )
  const header = <Header header={model.header} width={columns} />
  if (view === 'help') {
    return (
      <Box flexDirection="column" width={columns} height={rows}>
        {header}
        <Help rows={rows - 2} />
        <Spacer />
        {keyBar}
      </Box>
    )
  }
  if (view === 'job' && job) {
    const fit = jobViewRows(model, job, rows, columns)
    return (
      <Box flexDirection="column" width={columns} height={rows}>
        {header}
        <JobsTable jobs={[job]} selected={0} rows={1} width={columns} title="Job" />
        <JobDetail
          job={job}
          detail={model.detail}
          width={columns}
          stripLines={fit.strip}
          labelled
          errorRows={fit.errors}
        />
        <LogPane lines={model.log} rows={fit.log} />
        <Spacer />
        {keyBar}
      </Box>
    )
  }
  const fit = overviewRows(model, job, rows)
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      {header}
      <WorkersTable workers={model.workers} rows={fit.workers} width={columns} />
      <JobsTable jobs={model.jobs} selected={selection.index} rows={fit.jobs} width={columns} />
      {job && (
        <JobDetail
          job={job}
          detail={model.detail}
          width={columns}
          stripLines={1}
          labelled={false}
          errorRows={fit.errors}
        />
      )}
      <LogPane lines={model.log} rows={fit.log} />
      <Spacer />
      {keyBar}
    </Box>
  )
}
