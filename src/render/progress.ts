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

/**
 * "45s", "4m10s", "1h02m", "3d07h": two units at most, like a download's ETA. Seconds round up,
 * so time that is left never reads as 0s.
 */
export function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000)
  const two = (n: number) => String(n).padStart(2, '0')
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`
  const h = Math.floor(s / 3600)
  if (h < 100) return `${h}h${two(Math.floor((s % 3600) / 60))}m`
  return `${Math.floor(h / 24)}d${two(h % 24)}h`
}

/** "12/120 frames  5.3 frames/min  ETA 3m20s", the same words in a TTY bar and in log lines. */
export function describeProgress(stats: ProgressStats): string {
  const parts = [`${stats.done}/${stats.total} frames`]
  if (stats.framesPerMinute !== undefined) parts.push(`${stats.framesPerMinute.toFixed(1)} frames/min`)
  if (stats.etaMs !== undefined && stats.done < stats.total) parts.push(`ETA ${formatDuration(stats.etaMs)}`)
  return parts.join('  ')
}

/** The characters of a bar: brackets and ASCII for a terminal line, blocks for the dashboard. */
export interface BarLook {
  left: string
  full: string
  empty: string
  right: string
}

export const ASCII_BAR: BarLook = { left: '[', full: '#', empty: '-', right: ']' }
export const BLOCK_BAR: BarLook = { left: '', full: '█', empty: '░', right: '' }

/**
 * A text bar such as "[#######-------------]". It rounds down, so it is never full before the
 * last frame is done, and is empty when there is nothing to do.
 */
export function progressBar(done: number, total: number, width = 24, look: BarLook = ASCII_BAR): string {
  const full = total <= 0 ? 0 : Math.max(0, Math.min(width, Math.floor((done / total) * width)))
  return `${look.left}${look.full.repeat(full)}${look.empty.repeat(width - full)}${look.right}`
}
