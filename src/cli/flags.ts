import { UsageError } from './command.ts'

/**
 * The parsers of option values every command shares, so a bad value reads the same whatever the
 * command: `farm join: --jobs 'x' is not a whole number from 1 up.` Each returns undefined for
 * an option that was not given, so callers write `flags.whole('jobs', values.jobs) ?? default`.
 */
export interface Flags {
  /** An integer in [min, max] (min defaults to 1). */
  whole(flag: string, text: string | undefined, range?: { min?: number; max?: number }): number | undefined
  /** A finite number above 0. */
  positive(flag: string, text: string | undefined): number | undefined
  /** A finite number in [min, max]. */
  between(flag: string, text: string | undefined, min: number, max: number): number | undefined
  /** One of `choices`. */
  choice<T extends string>(flag: string, text: string | undefined, choices: readonly T[]): T | undefined
  /** A comma list, items trimmed, at least one. */
  list(flag: string, text: string | undefined, example: string): string[] | undefined
  /**
   * A duration such as 25s, 90s, 30m, 24h, 7d, 1h30m or 500ms, in milliseconds: a unit always
   * (is `24` hours or seconds?); above 0 unless `zero` allows it (a grace of 0s is "at once").
   */
  duration(flag: string, text: string | undefined, opts?: { zero?: boolean }): number | undefined
  /** A size such as 500M, 20G or 1T (K, M, G, T: powers of 1024; a trailing B or iB allowed), in bytes. */
  bytes(flag: string, text: string | undefined): number | undefined
  /** The usage error of a value that is not `expected`. */
  error(flag: string, text: string, expected: string): UsageError
}

export function flagsOf(command: string): Flags {
  const error = (flag: string, text: string, expected: string) =>
    new UsageError(`farm ${command}: --${flag} '${text}' is not ${expected}.`)
  return {
    error,
    whole(flag, text, range = {}) {
      if (text === undefined) return undefined
      const min = range.min ?? 1
      const value = Number(text)
      if (!/^-?\d+$/.test(text) || value < min || (range.max !== undefined && value > range.max))
        throw error(
          flag,
          text,
          `a whole number ${range.max === undefined ? `from ${min} up` : `from ${min} to ${range.max}`}`,
        )
      return value
    },
    positive(flag, text) {
      if (text === undefined) return undefined
      const value = Number(text)
      if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
        throw error(flag, text, 'a number above 0')
      return value
    },
    between(flag, text, min, max) {
      if (text === undefined) return undefined
      const value = Number(text)
      if (text.trim() === '' || !(value >= min && value <= max))
        throw error(flag, text, `a number from ${min} to ${max}`)
      return value
    },
    choice(flag, text, choices) {
      if (text === undefined) return undefined
      if (!(choices as readonly string[]).includes(text))
        throw error(flag, text, `one of ${choices.join(', ')}`)
      return text as (typeof choices)[number]
    },
    list(flag, text, example) {
      if (text === undefined) return undefined
      const items = text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
      if (items.length === 0) throw error(flag, text, `a comma list such as ${example}`)
      return items
    },
    bytes(flag, text) {
      if (text === undefined) return undefined
      const match = /^(\d+(?:\.\d+)?)\s*([KMGT])(?:i?B)?$/i.exec(text.trim())
      const value = match
        ? Math.round(Number(match[1]) * 1024 ** ('KMGT'.indexOf(match[2]!.toUpperCase()) + 1))
        : 0
      if (!(value > 0)) throw error(flag, text, 'a size such as 500M, 20G or 1T')
      return value
    },
    duration(flag, text, opts = {}) {
      if (text === undefined) return undefined
      const bare = text.trim()
      const parts = [...bare.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
      const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * DURATION_UNITS[unit!]!, 0)
      if (
        parts.length === 0 ||
        parts.map(([part]) => part).join('') !== bare ||
        !(ms > 0 || (opts.zero && ms === 0))
      )
        throw error(flag, text, 'a duration such as 25s, 2m, 24h, 7d or 1h30m')
      return Math.round(ms)
    },
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }
