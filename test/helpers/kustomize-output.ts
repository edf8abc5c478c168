/**
 * Reads what `kubectl kustomize` prints: YAML documents in the one normalised block style its
 * encoder writes (maps, sequences whose items start at their key's indent, plain, quoted and
 * empty-flow scalars; keys sorted, no comments, anchors or multi-line strings). Anything else
 * throws, naming the line, so a change in kustomize's output fails a test instead of misleading
 * it. The project has no YAML parser, and the tests need only this.
 */
export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml }

interface Line {
  indent: number
  text: string
  at: number
}

export function parseKustomizeOutput(text: string): Record<string, Yaml>[] {
  return text
    .split(/^---$/m)
    .map((doc) => {
      const lines = doc
        .split('\n')
        .map((raw, at) => ({ indent: raw.length - raw.trimStart().length, text: raw.trim(), at }))
        .filter((line) => line.text !== '')
      return new Reader(lines).block(0) as Record<string, Yaml>
    })
    .filter((doc) => doc !== null)
}

class Reader {
  private i = 0
  private readonly lines: Line[]
  constructor(lines: Line[]) {
    this.lines = lines
  }

  block(indent: number): Yaml {
    const line = this.lines[this.i]
    if (line === undefined || line.indent < indent) return null
    return line.text.startsWith('- ') || line.text === '-'
      ? this.sequence(line.indent)
      : this.map(line.indent)
  }

  private map(indent: number): Record<string, Yaml> {
    const out: Record<string, Yaml> = {}
    for (let line = this.lines[this.i]; line?.indent === indent && !line.text.startsWith('- '); ) {
      const match = /^([^\s:'"][^:]*):(?: (.*))?$/.exec(line.text)
      if (match === null) throw unexpected(line)
      this.i++
      const next = this.lines[this.i]
      if (match[2] !== undefined) out[match[1]!] = scalar(match[2], line)
      else if (
        next !== undefined &&
        (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))
      )
        out[match[1]!] = this.block(next.indent)
      else out[match[1]!] = null
      line = this.lines[this.i]
    }
    return out
  }

  private sequence(indent: number): Yaml[] {
    const out: Yaml[] = []
    for (let line = this.lines[this.i]; line?.indent === indent && line.text.startsWith('- '); ) {
      const item = line.text.slice(2)
      if (/^[^\s:'"][^:]*:( |$)/.test(item)) {
        // "- key: value": the item is a map whose first key sits two columns in.
        this.lines[this.i] = { indent: indent + 2, text: item, at: line.at }
        out.push(this.map(indent + 2))
      } else {
        out.push(scalar(item, line))
        this.i++
      }
      line = this.lines[this.i]
    }
    return out
  }
}

function scalar(text: string, line: Line): Yaml {
  if (text === '{}') return {}
  if (text === '[]') return []
  if (text.startsWith('"')) return JSON.parse(text) as string
  if (text.startsWith("'")) return text.slice(1, -1).replaceAll("''", "'")
  if (/^([[{&*!|>]|- )/.test(text)) throw unexpected(line)
  if (text === 'true' || text === 'false') return text === 'true'
  if (text === 'null' || text === '~') return null
  if (/^-?\d+$/.test(text)) return Number(text)
  return text
}

function unexpected(line: Line): Error {
  return new Error(`line ${line.at + 1} is not in the style kustomize prints: '${line.text}'`)
}
