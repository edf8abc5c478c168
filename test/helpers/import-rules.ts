/**
 * The arrows between src's parts (../shared/DESIGN.md), as one table, and the check of one import
 * against them. test/unit/imports.test.ts runs it over every import in src/. Only src/ is checked:
 * tests, benches and scripts may reach inside a part.
 */
import { dirname, relative, resolve, sep } from 'node:path'
import { parseAst } from 'vitest/node'

/** The parts of src/, one folder each. */
export const PARTS = ['cli', 'tui', 'web', 'farm', 'capture', 'p2p', 'ledger', 'render'] as const
export type Part = (typeof PARTS)[number]

/** `types`: `import type` only, so the importer knows the shapes and runs none of the part's code. */
type Use = 'any' | 'types'

interface PartRule {
  /** The other parts this part may import, each through its index.ts. A part not named: never. */
  may: Partial<Record<Part, Use>>
  /** What DESIGN.md says the row stands for, quoted when an import breaks it. */
  because: string
}

const ONE_WAY = 'arrows point one way: cli -> (tui, web, farm, capture) -> (p2p, ledger, render)'
const VIEW = `tui and web only read state and send commands; ${ONE_WAY}`
const LEAF = "ledger and render import nothing of the project's other parts"

/**
 * cli may reach render (`farm render` needs no node): of the lower layer DESIGN.md forbids cli
 * only p2p and ledger. Within the middle layer two arrows, one way each: farm builds the
 * dashboard's model in tui's types (and never draws), and farm's backup/ shares captures on the
 * swarm (issue 10), reading capture's day folders and manifests (its control socket also takes
 * capture's check of a live Unix socket, which a capture's own socket needs first, issue 16).
 * Nothing else of one layer
 * imports another part of it: a new arrow is a line here, and a change to DESIGN.md.
 */
export const ARROWS: Readonly<Record<Part, PartRule>> = {
  cli: {
    may: { tui: 'any', web: 'any', farm: 'any', capture: 'any', render: 'any' },
    because: 'src/cli parses arguments, calls one part and prints: it never imports p2p or ledger itself',
  },
  tui: { may: { ledger: 'any', render: 'any' }, because: VIEW },
  web: { may: { ledger: 'any', render: 'any' }, because: VIEW },
  farm: {
    may: { tui: 'types', capture: 'any', p2p: 'any', ledger: 'any', render: 'any' },
    because: ONE_WAY,
  },
  capture: { may: { p2p: 'any', ledger: 'any', render: 'any' }, because: ONE_WAY },
  p2p: { may: {}, because: ONE_WAY },
  ledger: { may: {}, because: LEAF },
  render: { may: {}, because: LEAF },
}

function isPart(name: string | undefined): name is Part {
  return PARTS.some((part) => part === name)
}

/** One import in a source file. `specifier` is undefined when it is computed (`import(name)`). */
export interface ImportSite {
  specifier: string | undefined
  /** Erased at build time: `import type`, `export type ... from`, `typeof import(...)`. */
  typeOnly: boolean
  line: number
}

type AstNode = { type: string } & Record<string, unknown>

function isAstNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && 'type' in value && typeof value.type === 'string'
}

function literal(value: unknown): string | undefined {
  if (!isAstNode(value)) return undefined
  if (value.type === 'Literal' && typeof value.value === 'string') return value.value
  // `import(\`./x.ts\`)` with nothing interpolated is a literal too.
  if (
    value.type === 'TemplateLiteral' &&
    Array.isArray(value.expressions) &&
    value.expressions.length === 0
  ) {
    const quasi: unknown = Array.isArray(value.quasis) ? value.quasis[0] : undefined
    const text = isAstNode(quasi) ? quasi.value : undefined
    if (typeof text === 'object' && text !== null && 'cooked' in text && typeof text.cooked === 'string')
      return text.cooked
  }
  return undefined
}

const STATIC = new Set(['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration'])

/**
 * Every import of a .ts or .tsx source: static imports and re-exports (type-only ones too),
 * dynamic `import()`, and `import('...')` types. A parser, not a regular expression, so that
 * strings and comments that look like imports are not taken for them.
 */
export function importsOf(source: string, file: string): ImportSite[] {
  const program = parseAst(source, { lang: file.endsWith('.tsx') ? 'tsx' : 'ts' })
  const sites: ImportSite[] = []
  const found = (node: AstNode, typeOnly: boolean) => {
    const line = typeof node.start === 'number' ? source.slice(0, node.start).split('\n').length : 0
    sites.push({ specifier: literal(node.source), typeOnly, line })
  }
  const visit = (node: unknown) => {
    if (!isAstNode(node)) return
    if (STATIC.has(node.type) && node.source !== null && node.source !== undefined)
      found(node, (node.type === 'ImportDeclaration' ? node.importKind : node.exportKind) === 'type')
    else if (node.type === 'ImportExpression') found(node, false)
    else if (node.type === 'TSImportType') found(node, true)
    for (const child of Object.values(node)) {
      const items: unknown[] = Array.isArray(child) ? child : [child]
      for (const item of items) visit(item)
    }
  }
  visit(program)
  return sites
}

/** The part a path under srcDir belongs to, or undefined when it is outside every part. */
export function partOf(srcDir: string, path: string): Part | undefined {
  const [top, ...rest] = relative(srcDir, path).split(sep)
  return rest.length > 0 && isPart(top) ? top : undefined
}

/**
 * What is wrong with one import of `file` (a path under srcDir), in words naming the file, the
 * import and the rule; undefined when nothing is. Packages and node: builtins are not parts.
 */
export function brokenRule(srcDir: string, file: string, site: ImportSite): string | undefined {
  const where = `${relative(resolve(srcDir, '..'), file)}:${site.line}`
  const from = partOf(srcDir, file)
  if (from === undefined) return `${where}: the file is in no part of src/ (${PARTS.join(', ')})`
  const { specifier } = site
  if (specifier === undefined)
    return `${where}: a computed import() cannot be checked against the arrows: import a string literal`
  if (!specifier.startsWith('.')) return undefined
  const shown = `import '${specifier}'`
  const target = resolve(dirname(file), specifier)
  const to = partOf(srcDir, target)
  if (to === undefined)
    return `${where}: ${shown} leaves the parts of src/: src imports only src and packages`
  if (to === from) return undefined
  const rule = ARROWS[from]
  const use = rule.may[to]
  if (use === undefined) {
    const allowed = Object.keys(rule.may)
    const may =
      allowed.length > 0 ? `may import ${allowed.join(', ')}, not ${to}` : 'may import no other part'
    return `${where}: ${shown}: ${from} ${may} (DESIGN.md: ${rule.because})`
  }
  const index = resolve(srcDir, to, 'index.ts')
  if (target !== index) {
    const instead = relative(dirname(file), index)
    const specifier = instead.startsWith('.') ? instead : `./${instead}`
    return `${where}: ${shown} reaches past ${to}'s index.ts: import '${specifier}' (DESIGN.md: the part's index.ts stays its only public face)`
  }
  if (use === 'types' && !site.typeOnly)
    return `${where}: ${shown} loads ${to} at run time: ${from} may import only its types (import type { ... }) (DESIGN.md: ${rule.because})`
  return undefined
}
