import { Box, Text } from 'ink'
import { useMemo } from 'react'
import { ErrorList } from './ErrorList.tsx'
import { FrameStrip } from './FrameStrip.tsx'
import { wu } from './format.ts'
import { groupFrames, sparkline, stripLabelWidth, wuStats } from './frame-strip.ts'
import type { JobDetail as JobDetailModel, JobRow } from './model.ts'

export interface JobDetailProps {
  job: JobRow
  /** Shown only when it is this job's; otherwise the frames are still on their way. */
  detail: JobDetailModel | null
  width: number
  /** Lines for the frame strip: 1 on the overview, more in the job view. */
  stripLines: number
  /** Number each strip line with its first frame (the job view). */
  labelled: boolean
  errorRows: number
}

/** The selected job's frames: a title, the frame strip, WU per frame as a sparkline, the last errors. */
export function JobDetail({ job, detail, width, stripLines, labelled, errorRows }: JobDetailProps) {
  const frames = detail?.jobId === job.id ? detail : null
  const labelWidth = labelled && frames ? stripLabelWidth(frames.firstFrame, frames.frames.length) : 0
  const lineWidth = Math.max(1, width - labelWidth)
  const strip = useMemo(
    () => (frames ? groupFrames(frames.frames, lineWidth * stripLines) : null),
    [frames, lineWidth, stripLines],
  )
  const spark = useMemo(
    () => (frames ? sparkline(frames.wu, Math.ceil(frames.wu.length / lineWidth)) : ''),
    [frames, lineWidth],
  )
  const stats = useMemo(() => (frames ? wuStats(frames.wu) : null), [frames])
  if (frames === null || strip === null) {
    return (
      <Box flexDirection="column">
        <Text bold wrap="truncate-end">
          {job.name}
        </Text>
        <Text dimColor>Loading the frames of {job.name}…</Text>
      </Box>
    )
  }
  const last = frames.firstFrame + frames.frames.length - 1
  const grouping = strip.perCell === 1 ? 'one cell per frame' : `${strip.perCell} frames per cell`
  const cost = stats ? `WU/frame avg ${wu(stats.mean)}, max ${wu(stats.max)}` : 'no frame rendered yet'
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>{job.name}</Text>
        {job.stalled ? (
          <Text color="yellow"> · waiting: {job.stalled}</Text>
        ) : (
          ` · frames ${frames.firstFrame}-${last} · ${grouping} · ${cost}`
        )}
      </Text>
      <FrameStrip
        cells={strip.cells}
        perCell={strip.perCell}
        firstFrame={frames.firstFrame}
        lineWidth={lineWidth}
        labelWidth={labelWidth}
      />
      <Text wrap="truncate">
        {labelWidth > 0 && <Text dimColor>{'WU'.padStart(labelWidth - 1)} </Text>}
        <Text color="magenta">{spark}</Text>
      </Text>
      <ErrorList errors={frames.errors} rows={errorRows} />
    </Box>
  )
}
