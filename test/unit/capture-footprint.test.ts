import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/farm.ts'

/** Every package a module pulls in at load time, following the project's own static imports. */
async function packagesLoadedBy(entry: string): Promise<Set<string>> {
  const packages = new Set<string>()
  const seen = new Set<string>()
  const visit = async (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const source = await readFile(file, 'utf8')
    // Static imports only: `import(...)` is lazy and is what keeps the Pi's process small.
    for (const match of source.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      const spec = match[1]!
      if (/^(?:import|export)\s+type\s/.test(match[0])) continue
      if (spec.startsWith('.')) await visit(resolve(dirname(file), spec))
      else if (!spec.startsWith('node:'))
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)
    }
  }
  await visit(entry)
  return packages
}

describe('capture footprint', () => {
  it('farm capture loads neither libp2p, Ink, React, LevelDB nor execa (18 MB on its own)', async () => {
    const packages = await packagesLoadedBy(resolve(REPO_ROOT, 'src/cli/capture.ts'))
    expect([...packages].sort()).toEqual(['node-cron'])
  })
})

describe('viewer footprint', () => {
  it('farm serve loads no package at all until --home asks for the jobs page', async () => {
    const packages = await packagesLoadedBy(resolve(REPO_ROOT, 'src/cli/serve.ts'))
    expect([...packages].sort()).toEqual([])
  })
})
