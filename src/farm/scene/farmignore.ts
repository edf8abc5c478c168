/**
 * `.farmignore`: which files of a scene directory stay out of its archive, written like a
 * .gitignore. One pattern per line; `#` comments; `!` re-includes; a trailing `/` matches only
 * directories; a pattern with a `/` before its end is anchored to the scene directory, one
 * without matches a name at any depth; `*`, `?`, `[abc]` and `**` as in git. The last pattern
 * that matches decides. As in git, nothing inside an ignored directory can be re-included.
 */

export interface IgnoreRule {
  pattern: string
  negate: boolean
  directoryOnly: boolean
  regex: RegExp
}

/** Always left out: version-control data is never part of a render. */
export const DEFAULT_IGNORE = ['.git/', '.hg/', '.svn/']

export function parseIgnore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = []
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, '')
    if (line === '' || line.startsWith('#')) continue
    const negate = line.startsWith('!')
    if (negate) line = line.slice(1)
    if (line.startsWith('\\')) line = line.slice(1)
    const directoryOnly = line.endsWith('/')
    if (directoryOnly) line = line.slice(0, -1)
    if (line === '') continue
    const anchored = line.includes('/')
    if (line.startsWith('/')) line = line.slice(1)
    const body = globToRegex(line)
    rules.push({
      pattern: raw,
      negate,
      directoryOnly,
      regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`),
    })
  }
  return rules
}

/** Whether `path` (relative, `/`-separated) is ignored by `rules`. */
export function isIgnored(rules: readonly IgnoreRule[], path: string, isDirectory: boolean): boolean {
  let ignored = false
  for (const rule of rules) {
    if (rule.directoryOnly && !isDirectory) continue
    if (rule.regex.test(path)) ignored = !rule.negate
  }
  return ignored
}

function globToRegex(glob: string): string {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!
    if (ch === '*' && glob[i + 1] === '*') {
      const slashBefore = i === 0 || glob[i - 1] === '/'
      const slashAfter = glob[i + 2] === '/'
      if (slashBefore && slashAfter) {
        out += '(?:.*/)?'
        i += 2
      } else if (slashBefore && i + 2 === glob.length) {
        out += '.*'
        i += 1
      } else {
        out += '[^/]*'
        i += 1
      }
    } else if (ch === '*') out += '[^/]*'
    else if (ch === '?') out += '[^/]'
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end < 0) out += '\\['
      else {
        const inside = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')
        out += `[${inside}]`
        i = end
      }
    } else if (ch === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[i + 1]!)
      i++
    } else out += escapeRegex(ch)
  }
  return out
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch
}
