import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { flagsOf } from '../../src/cli/flags.ts'
import { FarmError } from '../../src/farm/errors.ts'
import { planScene, unpackArchive } from '../../src/farm/scene/archive.ts'
import { SceneCache } from '../../src/farm/scene/cache.ts'
import { manifestArchive, parseManifest, storeScene } from '../../src/farm/scene/manifest.ts'
import { BlobStore } from '../../src/p2p/index.ts'
import { tempDir } from '../helpers/farm.ts'

const A = 'a'.repeat(64)

async function scene(files: Record<string, string>) {
  const dir = await tempDir()
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    await writeFile(join(dir, path), text)
  }
  return dir
}

describe('a scene stored file by file', () => {
  it('stores each file once under its hash and unpacks to the same tree', async () => {
    const blobs = new BlobStore(join(await tempDir(), 'blobs'))
    const dir = await scene({ 'scene.pov': 'sphere {0,1}', 'tex/a.png': 'same', 'tex/b.png': 'same' })
    const stored = await storeScene(await planScene(dir), blobs)
    expect(stored.files).toBe(3)
    expect(new Set(stored.blobs).size).toBe(2)
    const manifest = parseManifest(await readFile(blobs.path(stored.hash)))
    const out = join(await tempDir(), 'scene')
    await unpackArchive(
      manifestArchive(manifest, (h) => blobs.path(h)),
      out,
    )
    expect(await readFile(join(out, 'tex', 'b.png'), 'utf8')).toBe('same')
    expect((await readdir(out, { recursive: true })).sort()).toEqual([
      'scene.pov',
      'tex',
      'tex/a.png',
      'tex/b.png',
    ])
    // The same scene is the same manifest: a resubmission names the blobs it named before.
    expect((await storeScene(await planScene(dir), blobs)).hash).toBe(stored.hash)
  })

  it('refuses a manifest that is not one, and one whose paths leave the scene', async () => {
    expect(() => parseManifest(Buffer.from('{"v":1'))).toThrow(/not JSON/)
    expect(() => parseManifest(Buffer.from('{"v":2,"entries":[]}'))).toThrow(/malformed/)
    const dirWithHash = { v: 1, entries: [{ path: 'd', type: 'directory', mode: 493, size: 0, hash: A }] }
    expect(() => parseManifest(Buffer.from(JSON.stringify(dirWithHash)))).toThrow(/only if it is a file/)
    const blobs = new BlobStore(join(await tempDir(), 'blobs'))
    const hash = await blobs.put(join(await scene({ x: 'evil' }), 'x'))
    const leaving = parseManifest(
      Buffer.from(
        JSON.stringify({ v: 1, entries: [{ path: '../x', type: 'file', mode: 420, size: 4, hash }] }),
      ),
    )
    const out = join(await tempDir(), 'scene')
    const refused = await unpackArchive(
      manifestArchive(leaving, (h) => blobs.path(h)),
      out,
    ).catch((e) => e)
    expect(refused).toBeInstanceOf(FarmError)
    expect(refused.code).toBe('UNSAFE_ARCHIVE_ENTRY')
  })
})

describe('the scene cache', () => {
  it('removes the least recently used fetched files first, never those in use or never fetched', async () => {
    const home = await tempDir()
    const blobs = new BlobStore(join(home, 'blobs'))
    const put = async (text: string) => ({
      hash: await blobs.put(join(await scene({ f: text }), 'f')),
      size: 10,
    })
    const [a, b, c, own] = await Promise.all(
      ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', 'oooooooooo'].map(put),
    )
    const cache = new SceneCache(join(home, 'scene-cache.json'), 25, blobs)
    expect(await cache.use([a!, own!], new Set([a!.hash]), 1)).toEqual([])
    expect(await cache.use([b!], new Set([b!.hash]), 2)).toEqual([])
    expect(await cache.use([a!], new Set(), 3)).toEqual([])
    // 30 bytes recorded over a limit of 25: b was used longest ago; c is in use; own was never fetched.
    expect(await cache.use([c!, own!], new Set([c!.hash]), 4)).toEqual([b!.hash])
    expect(await blobs.has(b!.hash)).toBe(false)
    expect(await blobs.has(own!.hash)).toBe(true)
    const reopened = new SceneCache(join(home, 'scene-cache.json'), 5, blobs)
    await reopened.forget([c!.hash])
    expect(await reopened.use([], new Set(), 5)).toEqual([a!.hash])
    expect(await blobs.has(c!.hash)).toBe(true)
  })

  it('takes --cache-size in K, M, G or T', () => {
    const flags = flagsOf('join')
    expect(flags.bytes('cache-size', '20G')).toBe(20 * 1024 ** 3)
    expect(flags.bytes('cache-size', '1.5MiB')).toBe(1.5 * 1024 ** 2)
    expect(() => flags.bytes('cache-size', '20')).toThrow(/--cache-size '20' is not a size such as 500M/)
  })
})
