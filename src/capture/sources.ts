import { grabV4l2, runProgram, testPattern } from '../render/index.ts'
import { CaptureError } from './errors.ts'
import { credentialsAsHeader, type Redact, redactor, redactUrl, urlSecrets } from './redact.ts'

/** Where frames come from, parsed from `--source`. */
export type SourceSpec =
  | { kind: 'http'; url: string }
  | { kind: 'command'; command: string }
  | { kind: 'v4l2'; device: string }
  | { kind: 'test'; width: number; height: number }

/** Takes one still: JPEG or PNG bytes, or throws why not (a CaptureError, or ffmpeg's RenderError). */
export type Grab = (at: Date, label: string) => Promise<Uint8Array>

// A snapshot larger than this is not a still image: refuse it instead of filling memory.
const MAX_IMAGE_BYTES = 32 * 1024 * 1024
const IMAGE_TYPES = ['image/jpeg', 'image/jpg', 'image/png']

export function parseSource(text: string): SourceSpec {
  if (/^https?:\/\//i.test(text)) {
    try {
      return { kind: 'http', url: new URL(text).toString() }
    } catch {
      throw CaptureError.BAD_SOURCE(text, 'is not a valid URL')
    }
  }
  if (text.startsWith('cmd:')) {
    const command = text.slice(4).trim()
    if (command === '') throw CaptureError.BAD_SOURCE(text, 'has no command after cmd:')
    return { kind: 'command', command }
  }
  if (text.startsWith('v4l2:')) {
    const device = text.slice(5)
    if (!device.startsWith('/dev/'))
      throw CaptureError.BAD_SOURCE(text, 'must name a device, e.g. v4l2:/dev/video0')
    return { kind: 'v4l2', device }
  }
  if (text === 'test:' || text.startsWith('test:')) {
    const size = text.slice(5)
    if (size === '') return { kind: 'test', width: 640, height: 480 }
    const match = /^(\d{2,5})x(\d{2,5})$/.exec(size)
    if (match === null) throw CaptureError.BAD_SOURCE(text, 'takes an optional size, e.g. test:640x480')
    return { kind: 'test', width: Number(match[1]), height: Number(match[2]) }
  }
  throw CaptureError.BAD_SOURCE(text, 'is not a known kind of source')
}

/** A source named for logs without the credentials and query values a URL may carry. */
export function describeSource(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'http':
      return redactUrl(spec.url)
    case 'command':
      return `command '${redactUrl(spec.command)}'`
    case 'v4l2':
      return `V4L2 device ${spec.device}`
    case 'test':
      return `test pattern ${spec.width}x${spec.height}`
  }
}

/**
 * A source named for every member of a swarm (`--share`): the camera's host or program only,
 * since a URL's path and query or a command's arguments may carry tokens and passwords.
 */
export function publicSourceName(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'http':
      return `camera at ${new URL(spec.url).host}`
    case 'command':
      return `command ${spec.command.split(/\s+/)[0]!.split('/').pop()}`
    default:
      return describeSource(spec)
  }
}

/** The secrets a source carries (a URL's userinfo and query values, in a command's URLs too), for redaction. */
export function sourceSecrets(spec: SourceSpec): string[] {
  if (spec.kind === 'http') return urlSecrets(spec.url)
  if (spec.kind === 'command')
    return [...spec.command.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi)].flatMap((m) => urlSecrets(m[0]))
  return []
}

export function grabber(spec: SourceSpec, timeoutMs: number): Grab {
  const name = describeSource(spec)
  // Why a grab failed comes from fetch, a server or a command's stderr: any of them may echo a secret.
  const redact = redactor(sourceSecrets(spec))
  switch (spec.kind) {
    case 'http':
      return () => grabHttp(spec.url, name, timeoutMs, redact)
    case 'command':
      return () => grabCommand(spec.command, name, timeoutMs, redact)
    case 'v4l2':
      return () => grabV4l2(spec.device, timeoutMs)
    case 'test':
      return (at, label) => testPattern(label, (at.getTime() % 86_400_000) / 86_400_000, spec, timeoutMs)
  }
}

async function grabHttp(url: string, name: string, timeoutMs: number, redact: Redact): Promise<Uint8Array> {
  const failed = (why: string) => CaptureError.SOURCE_FAILED(name, redact(why))
  let response: Response
  const signal = AbortSignal.timeout(timeoutMs)
  // fetch refuses a URL with credentials in it: they go in a header, as a browser would send them.
  const { url: bare, authorization } = credentialsAsHeader(url)
  const headers: Record<string, string> = { accept: 'image/jpeg, image/png' }
  if (authorization !== undefined) headers.authorization = authorization
  try {
    response = await fetch(bare, { signal, redirect: 'follow', headers })
  } catch (err) {
    throw failed(signal.aborted ? `no answer within ${timeoutMs} ms` : errorText(err))
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw failed(`HTTP ${response.status} ${response.statusText}`.trim())
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!IMAGE_TYPES.includes(type)) {
    await response.body?.cancel()
    throw failed(`content-type is '${type || 'missing'}', expected image/jpeg or image/png`)
  }
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > MAX_IMAGE_BYTES) {
    await response.body?.cancel()
    throw failed(`image of ${declared} bytes is over ${MAX_IMAGE_BYTES}`)
  }
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await response.arrayBuffer())
  } catch (err) {
    throw failed(signal.aborted ? `body not received within ${timeoutMs} ms` : errorText(err))
  }
  if (bytes.length > MAX_IMAGE_BYTES)
    throw failed(`image of ${bytes.length} bytes is over ${MAX_IMAGE_BYTES}`)
  return bytes
}

async function grabCommand(
  command: string,
  name: string,
  timeoutMs: number,
  redact: Redact,
): Promise<Uint8Array> {
  const result = await runProgram(command, [], {
    shell: true,
    stdout: 'bytes',
    timeoutMs,
    maxOutput: MAX_IMAGE_BYTES,
  })
  if (!result.ok) {
    const why = result.timedOut
      ? `no image within ${timeoutMs} ms (killed)`
      : result.exitCode === undefined
        ? result.tail
        : `exit ${result.exitCode}: ${result.tail}`
    throw CaptureError.SOURCE_FAILED(name, redact(why))
  }
  return new Uint8Array(result.stdout)
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message
  }
  return String(err)
}
