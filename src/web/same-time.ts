/** One frame per day, each nearest the same time of day, as one video: built by the capture part. */
export interface SameTimeVideo {
  /** Local path of the video. */
  path: string
  /** One per frame, oldest first: the days that gave a frame. */
  days: string[]
  /** Days of the span with frames, none of them near enough the time. */
  skipped: string[]
  fps: number
}

/**
 * Where `farm serve` gets same-time videos from: the capture part, wired in by the CLI (the
 * viewer reads state and encodes nothing itself). `span` is YYYY, YYYY-MM or DAY..DAY, `at`
 * HH:MM; bad ones throw an error with exitCode 2 and a message for the page. A video already
 * built from the same frames is reused.
 */
export interface SameTimeSource {
  build(span: string, at: string): Promise<SameTimeVideo>
}
