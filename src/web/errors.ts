/** The one error class of src/web; exitCode 2 marks bad input from the command line. */
export class WebError extends Error {
  readonly code: string
  readonly exitCode: number

  constructor(code: string, message: string, exitCode = 1) {
    super(message)
    this.name = 'WebError'
    this.code = code
    this.exitCode = exitCode
  }

  static badBasePath(path: string): WebError {
    return new WebError(
      'BAD_BASE_PATH',
      `--base-path '${path}' is not a URL path: use something like /timelapse (letters, digits, - _ . /).`,
      2,
    )
  }

  static badPort(text: string): WebError {
    return new WebError(
      'BAD_PORT',
      `--port '${text}' is not a TCP port: use a number from 1 to 65535 (0 picks a free one).`,
      2,
    )
  }

  static portInUse(host: string, port: number): WebError {
    return new WebError(
      'PORT_IN_USE',
      `${host}:${port} is already in use: stop what listens there or pick another --port.`,
      2,
    )
  }

  static notADirectory(dir: string): WebError {
    return new WebError(
      'NOT_A_DIRECTORY',
      `${dir} is not a directory: point --dir at the directory \`farm capture\` writes to.`,
      2,
    )
  }
}
