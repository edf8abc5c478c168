export interface ProgressStats {
  done: number
  total: number
  /** Frames per minute rendered in this run; undefined until one frame is rendered. */
  framesPerMinute: number | undefined
  /** Milliseconds left at the current rate; undefined until it is known. */
  etaMs: number | undefined
}

/**
 * Rate and ETA from frames rendered in this run only: frames kept from an earlier run took no
 * time now and would make the rate look far better than it is.
 */
export function progressStats(opts: {
  done: number
  resumed: number
  total: number
  elapsedMs: number
}): ProgressStats {
  const rendered = opts.done - opts.resumed
  if (rendered <= 0 || opts.elapsedMs <= 0) {
    return { done: opts.done, total: opts.total, framesPerMinute: undefined, etaMs: undefined }
  }
  const perMs = rendered / opts.elapsedMs
  return {
    done: opts.done,
    total: opts.total,
    framesPerMinute: perMs * 60_000,
    etaMs: (opts.total - opts.done) / perMs,
  }
}

/** "1h02m", "3m05s", "12s". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`
  return `${s}s`
}

/** "12/120 frames  5.3 frames/min  ETA 3m20s", the same words in a TTY bar and in log lines. */
export function describeProgress(stats: ProgressStats): string {
  const parts = [`${stats.done}/${stats.total} frames`]
  if (stats.framesPerMinute !== undefined) parts.push(`${stats.framesPerMinute.toFixed(1)} frames/min`)
  if (stats.etaMs !== undefined && stats.done < stats.total) parts.push(`ETA ${formatDuration(stats.etaMs)}`)
  return parts.join('  ')
}

/** A text bar such as "[#######-------------]". */
export function progressBar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}
