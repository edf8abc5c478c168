import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/farm.ts'
import { brokenRule, importsOf, PARTS } from '../helpers/import-rules.ts'

const SRC = resolve(REPO_ROOT, 'src')

function sourcesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

describe("src's parts", () => {
  it('are the folders of src/, with no file beside them', () => {
    expect(readdirSync(SRC).sort()).toEqual([...PARTS].sort())
  })

  it('import each other only along the arrows of DESIGN.md, and only through index.ts', () => {
    const broken = sourcesIn(SRC).flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'), file).flatMap((site) => brokenRule(SRC, file, site) ?? []),
    )
    expect(broken).toEqual([])
  })
})

describe('the import check', () => {
  const src = '/repo/src'
  const check = (file: string, code: string) =>
    importsOf(code, file).map((site) => brokenRule(src, join(src, file), site))

  it('finds static, type-only, re-exported, dynamic and type-position imports, and no look-alikes', () => {
    const code = [
      "import { a } from './a.ts'",
      "import type { B } from './b.ts'",
      "import { type C } from './c.ts'",
      "import './d.ts'",
      "export { e } from './e.ts'",
      "export * from './f.ts'",
      "export type { G } from './g.ts'",
      "const h = await import('./h.ts')",
      'const i = await import(`./i.ts`)',
      'const j = await import(name)',
      "type K = typeof import('./k.ts')",
      'const view = <Box />',
      `const text = "import x from './string.ts'"`,
      "// import('./comment.ts')",
    ].join('\n')
    expect(importsOf(code, 'x.tsx')).toEqual([
      { specifier: './a.ts', typeOnly: false, line: 1 },
      { specifier: './b.ts', typeOnly: true, line: 2 },
      // `import { type C }` still loads c.ts under verbatimModuleSyntax.
      { specifier: './c.ts', typeOnly: false, line: 3 },
      { specifier: './d.ts', typeOnly: false, line: 4 },
      { specifier: './e.ts', typeOnly: false, line: 5 },
      { specifier: './f.ts', typeOnly: false, line: 6 },
      { specifier: './g.ts', typeOnly: true, line: 7 },
      { specifier: './h.ts', typeOnly: false, line: 8 },
      { specifier: './i.ts', typeOnly: false, line: 9 },
      { specifier: undefined, typeOnly: false, line: 10 },
      { specifier: './k.ts', typeOnly: true, line: 11 },
    ])
  })

  it('names the file, the import and the arrow it breaks', () => {
    expect(check('cli/join.ts', "import type { Swarm } from '../p2p/index.ts'")).toEqual([
      "src/cli/join.ts:1: import '../p2p/index.ts': cli may import tui, web, farm, capture, render, not p2p " +
        '(DESIGN.md: src/cli parses arguments, calls one part and prints: it never imports p2p or ledger itself)',
    ])
    expect(check('ledger/fold.ts', "\nimport { x } from '../render/index.ts'")).toEqual([
      "src/ledger/fold.ts:2: import '../render/index.ts': ledger may import no other part " +
        "(DESIGN.md: ledger and render import nothing of the project's other parts)",
    ])
    expect(check('capture/x.ts', "const farm = await import('../farm/index.ts')")[0]).toContain(
      'capture may import p2p, ledger, render, not farm',
    )
    expect(check('tui/App.tsx', "import { a } from '../p2p/index.ts'")[0]).toContain(
      'tui and web only read state and send commands',
    )
  })

  it("refuses a path past another part's index.ts, type-only or not, and says what to import", () => {
    expect(check('farm/work/worker.ts', "import type { Swarm } from '../../p2p/swarm.ts'")).toEqual([
      "src/farm/work/worker.ts:1: import '../../p2p/swarm.ts' reaches past p2p's index.ts: import '../../p2p/index.ts' (DESIGN.md: the part's index.ts stays its only public face)",
    ])
    expect(check('cli/render.ts', "import { x } from '../render/process.ts'")[0]).toContain(
      "import '../render/index.ts'",
    )
  })

  it('lets farm take the types of tui, and nothing that runs', () => {
    expect(check('farm/dashboard/model.ts', "import type { JobRow } from '../../tui/index.ts'")).toEqual([
      undefined,
    ])
    expect(check('farm/dashboard/model.ts', "import { type JobRow } from '../../tui/index.ts'")[0]).toContain(
      'loads tui at run time: farm may import only its types',
    )
  })

  it('allows anything inside one part, and packages everywhere', () => {
    const code = [
      "import { a } from '../schedule/queue.ts'",
      "import { b } from '../index.ts'",
      "import { c } from '../../farm/jobs/job.ts'",
      "import { d } from 'node:fs'",
      "import { e } from '@libp2p/interface'",
    ].join('\n')
    expect(check('farm/work/worker.ts', code)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })

  it('refuses what it cannot check: a computed import, a path out of src, a file in no part', () => {
    expect(check('cli/commands.ts', 'const m = await import(name)')[0]).toContain(
      'a computed import() cannot be checked against the arrows',
    )
    expect(check('web/pages.ts', "import { t } from '../../test/helpers/farm.ts'")[0]).toContain(
      "import '../../test/helpers/farm.ts' leaves the parts of src/",
    )
    expect(check('util.ts', "import { x } from './cli/main.ts'")[0]).toContain(
      'src/util.ts:1: the file is in no part',
    )
  })
})
