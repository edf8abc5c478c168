import { useEffect, useRef, useState } from 'react'
import type { JobRow } from './model.ts'

/**
 * The job under the cursor, followed by id so it stays put when jobs are added or reordered;
 * when it disappears the cursor stays at the same position. Tells the farm on every change.
 */
export function useSelection(jobs: JobRow[], onSelect: (jobId: string) => void) {
  const [cursor, setCursor] = useState<{ id: string | undefined; index: number }>({ id: undefined, index: 0 })
  const found = cursor.id === undefined ? -1 : jobs.findIndex((job) => job.id === cursor.id)
  const index = found >= 0 ? found : Math.max(0, Math.min(cursor.index, jobs.length - 1))
  const job = jobs[index]
  const jobId = job?.id
  // biome-ignore lint/correctness/useExhaustiveDependencies: tell the farm when the job changes, not when its callback's identity does
  useEffect(() => {
    if (jobId !== undefined) onSelect(jobId)
  }, [jobId])
  // Two arrow keys can arrive before the next render: the second moves on from the first.
  const latest = useRef(index)
  latest.current = index
  /** Moves the cursor by `delta` jobs and returns the job now under it. */
  const move = (delta: number): JobRow | undefined => {
    const next = Math.max(0, Math.min(latest.current + delta, jobs.length - 1))
    latest.current = next
    setCursor({ id: jobs[next]?.id, index: next })
    return jobs[next]
  }
  return { index, job, move }
}

export type Selection = ReturnType<typeof useSelection>
