export type CaptureErrorCode =
  | 'BAD_SOURCE'
  | 'BAD_OPTION'
  | 'BAD_TIME_ZONE'
  | 'BAD_CRON'
  | 'BAD_DAY'
  | 'NO_FRAMES'
  | 'SOURCE_FAILED'
  | 'NOT_AN_IMAGE'
  | 'LOW_DISK'
  | 'NOTHING_NEAR'
  | 'CAPTURE_RUNNING'
  | 'NOT_CAPTURING'
  | 'RCLONE_MISSING'
  | 'BAD_REMOTE'
  | 'REMOTE_FAILED'

/**
 * The one error class of src/capture, made only by its factories, one per code. Callers branch
 * on `code`; users read `message`, which names the thing at fault and what to do. Bad input
 * carries exitCode 2. ffmpeg's failures are render's (RenderError FFMPEG_FAILED): it runs them.
 */
export class CaptureError extends Error {
  readonly code: CaptureErrorCode
  readonly exitCode: number

  private constructor(code: CaptureErrorCode, message: string, exitCode = 1) {
    super(message)
    this.name = 'CaptureError'
    this.code = code
    this.exitCode = exitCode
  }

  static BAD_SOURCE(source: string, why: string) {
    return new CaptureError(
      'BAD_SOURCE',
      `capture source '${source}' ${why}: use http(s)://..., cmd:COMMAND, v4l2:/dev/videoN or test:`,
      2,
    )
  }

  /** `expected` completes "give ...": "a whole number above 0". */
  static BAD_OPTION(option: string, value: string, expected: string) {
    return new CaptureError('BAD_OPTION', `${option} '${value}' is not valid: give ${expected}`, 2)
  }

  static BAD_TIME_ZONE(zone: string) {
    return new CaptureError(
      'BAD_TIME_ZONE',
      `time zone '${zone}' is unknown: use an IANA name such as Europe/Paris or UTC`,
      2,
    )
  }

  static BAD_CRON(expression: string, why: string) {
    return new CaptureError(
      'BAD_CRON',
      `cron expression '${expression}' is not valid (${why}): give 5 or 6 fields, e.g. "0 * * * *" for every hour`,
      2,
    )
  }

  static BAD_DAY(day: string) {
    return new CaptureError('BAD_DAY', `day '${day}' is not a date: give it as YYYY-MM-DD`, 2)
  }

  static NO_FRAMES(dir: string) {
    return new CaptureError('NO_FRAMES', `no frames under ${dir}: capture some first, or check --dir`, 2)
  }

  static SOURCE_FAILED(source: string, why: string) {
    return new CaptureError('SOURCE_FAILED', `capture from ${source} failed: ${why}`)
  }

  static NOT_AN_IMAGE(source: string, why: string) {
    return new CaptureError('NOT_AN_IMAGE', `capture from ${source} is not a usable JPEG or PNG: ${why}`)
  }

  static NOTHING_NEAR(span: string, at: string, withinMinutes: number) {
    return new CaptureError(
      'NOTHING_NEAR',
      `no frame of ${span} was taken within ${withinMinutes} minutes of ${at}: pick another --at or --span`,
      2,
    )
  }

  static LOW_DISK(dir: string, freeMb: number, minFreeMb: number) {
    return new CaptureError(
      'LOW_DISK',
      `only ${freeMb} MB free under ${dir}, below --min-free ${minFreeMb} MB: frame not written; free some space or lower --keep-days`,
    )
  }

  static CAPTURE_RUNNING(dir: string) {
    return new CaptureError(
      'CAPTURE_RUNNING',
      `another farm capture already runs on ${dir} (its socket ${dir}/capture.sock answers): stop it first, or give another --dir`,
      2,
    )
  }

  static NOT_CAPTURING(dir: string) {
    return new CaptureError(
      'NOT_CAPTURING',
      `no farm capture runs on ${dir} (nothing answers on ${dir}/capture.sock): start \`farm capture --dir ${dir} ...\` first`,
    )
  }

  static RCLONE_MISSING() {
    return new CaptureError(
      'RCLONE_MISSING',
      '--backup-remote uploads with rclone, which is not installed: sudo apt-get install rclone (or see https://rclone.org/install/)',
      2,
    )
  }

  /** `remote` is shown redacted by the caller. */
  static BAD_REMOTE(remote: string, why: string) {
    return new CaptureError(
      'BAD_REMOTE',
      `backup remote '${remote}' is not usable: ${why}; give a remote from \`rclone listremotes\` with a path (mybucket:pi/garden) or a connection string (:s3,provider=...,endpoint=...:bucket/path)`,
      2,
    )
  }

  static REMOTE_FAILED(remote: string, what: string, why: string) {
    return new CaptureError('REMOTE_FAILED', `could not ${what} on ${remote}: ${why}`)
  }
}
