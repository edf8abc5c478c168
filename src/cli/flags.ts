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
  /** A duration such as 25s, 2m, 1h or 500ms (a bare number is seconds), in milliseconds; 0 allowed. */
  duration(flag: string, text: string | undefined): number | undefined
  /** A finite number in [min, max]. */
  between(flag: string, text: string | undefined, min: number, max: number): number | undefined
  /** One of `choices`. */
  choice<T extends string>(flag: string, text: string | undefined, choices: readonly T[]): T | undefined
  /** A comma list, items trimmed, at least one. */
  list(flag: string, text: string | undefined, example: string): string[] | undefined
  /** The usage error of a value that is not `expected`. */
  error(flag: string, text: string, expected: string): UsageError
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

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
    duration(flag, text) {
      if (text === undefined) return undefined
      const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
      if (match === null) throw error(flag, text, 'a duration such as 25s, 2m or 1h')
      return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 's']!)
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
  }
}
