import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { normaliseBasePath } from '../../src/web/index.ts'
import { parseRange } from '../../src/web/range.ts'
import { fileInside } from '../../src/web/safe-path.ts'
import { tempDir } from '../helpers/farm.ts'

describe('range requests', () => {
  it('reads the forms browsers send', () => {
    expect(parseRange(undefined, 1000)).toBeUndefined()
    expect(parseRange('bytes=0-', 1000)).toEqual({ start: 0, end: 999 })
    expect(parseRange('bytes=100-199', 1000)).toEqual({ start: 100, end: 199 })
    expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 })
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 })
  })
  it('answers 416 for a range past the end, and ignores what it does not support', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable')
    expect(parseRange('bytes=5-2', 1000)).toBe('unsatisfiable')
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeUndefined()
    expect(parseRange('items=0-1', 1000)).toBeUndefined()
  })
})

describe('base path', () => {
  it('normalises what users type', () => {
    expect(normaliseBasePath('')).toBe('')
    expect(normaliseBasePath('/')).toBe('')
    expect(normaliseBasePath('timelapse/')).toBe('/timelapse')
    expect(normaliseBasePath('/a/b')).toBe('/a/b')
  })
  it('refuses paths that could not be a proxy prefix', () => {
    expect(() => normaliseBasePath('/a/../b')).toThrow(/--base-path/)
    expect(() => normaliseBasePath('/a b')).toThrow(/--base-path/)
  })
})

describe('files inside the served directory', () => {
  it('serves files below the root and nothing that escapes it', async () => {
    const root = await tempDir()
    const outside = await tempDir()
    await mkdir(join(root, 'frames', '2026-11-21'), { recursive: true })
    await writeFile(join(root, 'frames', '2026-11-21', '120000.jpg'), 'x')
    await writeFile(join(outside, 'secret.txt'), 'secret')
    await symlink(join(outside, 'secret.txt'), join(root, 'frames', 'link.jpg'))
    await symlink(outside, join(root, 'frames', 'linkdir'))
    expect(await fileInside(root, ['frames', '2026-11-21', '120000.jpg'])).toBe(
      join(root, 'frames', '2026-11-21', '120000.jpg'),
    )
    expect(await fileInside(root, ['frames', '2026-11-21', '%31%32%30000.jpg'])).toBeDefined()
    expect(await fileInside(root, ['frames', '..', '..', 'etc', 'passwd'])).toBeUndefined()
    expect(await fileInside(root, ['frames', '%2e%2e', '%2e%2e', 'etc', 'passwd'])).toBeUndefined()
    expect(await fileInside(root, ['frames', '..%2f..%2fetc%2fpasswd'])).toBeUndefined()
    expect(await fileInside(root, ['frames', 'link.jpg'])).toBeUndefined()
    expect(await fileInside(root, ['frames', 'linkdir', 'secret.txt'])).toBeUndefined()
    expect(await fileInside(root, ['frames', '2026-11-21'])).toBeUndefined()
    expect(await fileInside(root, ['frames', '%E0%A4%A'])).toBeUndefined()
  })
})
