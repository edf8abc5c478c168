/**
 * Text from other nodes' entries (node, owner and job names, error messages) is written by
 * whoever wrote the entry. Before it reaches a terminal, a log line or a web page it goes through
 * safeText: C0 and C1 control characters (newlines, ESC and so terminal escapes, carriage
 * returns, backspaces) and the Unicode line, paragraph and bidirectional overrides become a
 * visible `?`, so a name cannot forge a log line, move the cursor or reorder what a reader sees.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

export function safeText(text: string): string {
  return text.replace(UNSAFE, '?')
}

const UNSAFE_KEEPING_LINES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * A copy of `value` (plain data: what the control socket, the log and the dashboard model carry)
 * with every string, object keys included, through safeText. `lines`: newlines and tabs stay
 * (a multi-line log meant to be read as such), every other control character goes.
 */
export function safeStrings<T>(value: T, opts: { lines?: boolean } = {}): T {
  const clean = (text: string) => (opts.lines ? text.replace(UNSAFE_KEEPING_LINES, '?') : safeText(text))
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return clean(v)
    if (Array.isArray(v)) return v.map(walk)
    if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return v
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[clean(k)] = walk(x)
    return out
  }
  return walk(value) as T
}
