/**
 * Keeping secrets out of what farm writes: log lines, manifests, events, the backup's records.
 * A camera URL (`http://admin:pw@cam/snap.jpg?pwd=...`), an rclone connection string
 * (`:s3,secret_access_key=...:bucket`) and a webhook URL all carry passwords or tokens, and each
 * may come back inside an error message (fetch's, rclone's, a camera command's stderr).
 *
 * Two layers, so that neither has to be perfect: every URL in a text loses its userinfo and its
 * query values, whatever it belongs to; and every secret farm was given (the parts of the
 * options above, raw and percent-decoded) is replaced wherever it appears, in or out of a URL.
 */

export const REDACTED = '***'

/** A secret shorter than this would mangle ordinary words ("pw" in "pwd"); URL context still hides it. */
const MIN_SECRET_LENGTH = 3

/** scheme://[userinfo@]rest[?query][#fragment], ending where a message's punctuation or space starts. */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)(?:([^\s/?#@'"<>]*)@)?([^\s?#'"<>]*)(\?[^\s#'"<>]*)?/gi

function redactQuery(query: string): string {
  return query.replace(/([?&][^=&]*=)[^&]*/g, (_all, key: string) => `${key}${REDACTED}`)
}

/** One URL for showing: userinfo and query values replaced, host, path and query keys kept. */
export function redactUrl(url: string): string {
  return url.replace(URL_IN_TEXT, (_all, scheme: string, userinfo: string | undefined, rest: string, query) =>
    [scheme, userinfo === undefined ? '' : `${REDACTED}@`, rest, query ? redactQuery(query) : ''].join(''),
  )
}

/** Percent-decoded; `form` also reads `+` as a space, as query strings write it. */
function decoded(text: string, form = false): string {
  try {
    return decodeURIComponent(form ? text.replace(/\+/g, ' ') : text)
  } catch {
    return text
  }
}

/** A parameter name that says its value is a secret: `pwd`, `secret_access_key`, `sas_url`, `token`... */
const SECRET_NAME = /pass|pwd|secret|key|token|auth|sig|sas|cred|session|bearer|cookie|code/i

/** A query value this long is an opaque token whatever its name (`?t=...`, `?id=...`). */
const TOKEN_LENGTH = 12

/**
 * The secrets of a URL, as written and decoded, to be found in any text: its password, and the
 * query values named like secrets or long enough to be tokens. Its user name and short values
 * (`?channel=1`) are no secret on their own, and replacing such words everywhere would mangle
 * messages; inside a URL they are redacted anyway.
 */
export function urlSecrets(url: string): string[] {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return []
  }
  const raw = [parsed.password]
  for (const part of parsed.search.slice(1).split('&')) {
    const at = part.indexOf('=')
    if (at < 0) continue
    const value = part.slice(at + 1)
    if (SECRET_NAME.test(part.slice(0, at)) || value.length >= TOKEN_LENGTH) raw.push(value)
  }
  return withDecoded(raw)
}

/** `,key=value` of an rclone connection string; a value may be quoted to hold `,` and `:`. */
const REMOTE_PARAM = /,([\w-]+)=("[^"]*"|'[^']*'|[^,:]*)/g

function unquoted(value: string): string {
  return value.replace(/^(["'])(.*)\1$/, '$2')
}

/**
 * The secrets of an rclone remote, `name,key=value:path` or `:backend,key=value:path`: the
 * values of parameters named like secrets (`pass`, `secret_access_key`, `account_key`,
 * `sas_url`, `token`...), and those of any URL among the values.
 */
export function remoteSecrets(remote: string): string[] {
  const values: string[] = []
  for (const match of remote.matchAll(REMOTE_PARAM)) {
    const value = unquoted(match[2]!)
    if (SECRET_NAME.test(match[1]!)) values.push(value)
    values.push(...urlSecrets(value))
  }
  return withDecoded(values)
}

function withDecoded(values: string[]): string[] {
  const all = values.flatMap((v) => [v, decoded(v), decoded(v, true)])
  return [...new Set(all)].filter((v) => v.length >= MIN_SECRET_LENGTH)
}

/** A remote for showing: secret parameters' values replaced, URLs among them redacted, the rest kept. */
export function redactRemote(remote: string): string {
  return remote.replace(REMOTE_PARAM, (_all, key: string, value: string) =>
    SECRET_NAME.test(key) ? `,${key}=${REDACTED}` : `,${key}=${redactUrl(value)}`,
  )
}

export type Redact = (text: string) => string

/** A text with every URL's credentials and query values and every one of `secrets` replaced. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text)
  // Longest first: a secret that contains another must go whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(REDACTED)
  }
  return out
}

/** A redactor over a fixed set of secrets, for every text one capture process writes. */
export function redactor(secrets: readonly string[]): Redact {
  const known = [...new Set(secrets)]
  return (text) => redactText(text, known)
}

/** Every string inside a JSON-safe value, redacted: for events, which carry messages and paths. */
export function redactDeep<T>(value: T, redact: Redact): T {
  if (typeof value === 'string') return redact(value) as T
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, v] of Object.entries(value)) out[key] = redactDeep(v, redact)
    return out as T
  }
  return value
}

/**
 * A URL's user name and password as a Basic `Authorization` header, and the URL without them:
 * fetch refuses URLs with credentials, and a header is how HTTP carries them anyway.
 */
export function credentialsAsHeader(url: string): { url: string; authorization?: string } {
  const parsed = new URL(url)
  if (parsed.username === '' && parsed.password === '') return { url }
  const user = decoded(parsed.username)
  const password = decoded(parsed.password)
  parsed.username = ''
  parsed.password = ''
  return {
    url: parsed.toString(),
    authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
  }
}
