export type WebErrorCode = 'BAD_BASE_PATH' | 'BAD_PORT' | 'PORT_IN_USE' | 'NOT_A_DIRECTORY'

/**
 * The one error class of src/web, made only by its factories, one per code. Callers branch on
 * `code`; users read `message`, which names the thing at fault and what to do. exitCode 2 marks
 * bad input from the command line.
 */
export class WebError extends Error {
  readonly code: WebErrorCode
  readonly exitCode: number

  private constructor(code: WebErrorCode, message: string, exitCode = 1) {
    super(message)
    this.name = 'WebError'
    this.code = code
    this.exitCode = exitCode
  }

  static BAD_BASE_PATH(path: string) {
    return new WebError(
      'BAD_BASE_PATH',
      `--base-path '${path}' is not a URL path: use something like /timelapse (letters, digits, - _ . ~ /)`,
      2,
    )
  }

  static BAD_PORT(text: string) {
    return new WebError(
      'BAD_PORT',
      `--port '${text}' is not a TCP port: use a number from 1 to 65535 (0 picks a free one)`,
      2,
    )
  }

  static PORT_IN_USE(host: string, port: number) {
    return new WebError(
      'PORT_IN_USE',
      `${host}:${port} is already in use: stop what listens there or pick another --port`,
      2,
    )
  }

  static NOT_A_DIRECTORY(dir: string) {
    return new WebError(
      'NOT_A_DIRECTORY',
      `${dir} is not a directory: point --dir at the directory \`farm capture\` writes to`,
      2,
    )
  }
}
