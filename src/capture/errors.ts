/** The one error class of src/capture: callers branch on `code`; bad input carries exitCode 2. */
export class CaptureError extends Error {
  readonly code: string
  readonly exitCode: number

  constructor(code: string, message: string, exitCode = 1) {
    super(message)
    this.name = 'CaptureError'
    this.code = code
    this.exitCode = exitCode
  }

  static badSource(source: string, why: string): CaptureError {
    return new CaptureError(
      'BAD_SOURCE',
      `capture source '${source}' ${why}. Use http(s)://..., cmd:COMMAND, v4l2:/dev/videoN or test:.`,
      2,
    )
  }

  static badOption(option: string, value: string, expected: string): CaptureError {
    return new CaptureError('BAD_OPTION', `${option} '${value}' is not valid: expected ${expected}.`, 2)
  }

  static badTimeZone(zone: string): CaptureError {
    return new CaptureError(
      'BAD_TIME_ZONE',
      `time zone '${zone}' is unknown. Use an IANA name such as Europe/Paris or UTC.`,
      2,
    )
  }

  static badCron(expression: string, why: string): CaptureError {
    return new CaptureError(
      'BAD_CRON',
      `cron expression '${expression}' is not valid (${why}). Example: "0 * * * *" for every hour.`,
      2,
    )
  }

  static badDay(day: string): CaptureError {
    return new CaptureError('BAD_DAY', `day '${day}' is not a date: expected YYYY-MM-DD.`, 2)
  }

  static noFrames(dir: string): CaptureError {
    return new CaptureError('NO_FRAMES', `no frames under ${dir}: capture some first, or check --dir.`, 2)
  }

  static sourceFailed(source: string, why: string): CaptureError {
    return new CaptureError('SOURCE_FAILED', `capture from ${source} failed: ${why}`)
  }

  static notAnImage(source: string, why: string): CaptureError {
    return new CaptureError('NOT_AN_IMAGE', `capture from ${source} is not a usable JPEG or PNG: ${why}`)
  }

  static lowDisk(dir: string, freeMb: number, minFreeMb: number): CaptureError {
    return new CaptureError(
      'LOW_DISK',
      `only ${freeMb} MB free under ${dir}, below --min-free ${minFreeMb} MB: frame not written. Free some space or lower --keep-days.`,
    )
  }
}
