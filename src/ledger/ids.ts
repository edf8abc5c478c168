/**
 * Job ids are sha256 hex (64 characters). People read and type the first few: 12 is short
 * enough for a log line and a table column, and long enough that two jobs of one swarm never
 * share it, so what any line prints is what `farm status` and the other commands accept.
 */
export const SHORT_ID_CHARS = 12

export function shortJobId(id: string): string {
  return id.slice(0, SHORT_ID_CHARS)
}
