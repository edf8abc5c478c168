/** A render job as the jobs page shows it; the farm node's control socket supplies these. */
export interface JobSummary {
  id: string
  /** The scene's file name. */
  name: string
  renderer: string
  status: 'queued' | 'rendering' | 'stitching' | 'done' | 'failed' | 'cancelled'
  framesDone: number
  framesTotal: number
  /** ISO 8601; the column is left out when no job has it. */
  submittedAt?: string
  owner?: string
  /** The error shown for a failed job. */
  error?: string
  /** True when the stitched video is available to `video()`. */
  hasVideo: boolean
}

/** Where `farm serve` reads the farm's jobs from: the running node, wired in by the CLI. */
export interface JobSource {
  /** Newest first. Throws with a message for the page when the node cannot be reached. */
  list(): Promise<JobSummary[]>
  /** Local path of the job's stitched video, or undefined when there is none (yet). */
  video(jobId: string): Promise<string | undefined>
}
