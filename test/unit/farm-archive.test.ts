import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, mkdir, readdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FarmError } from '../../src/farm/errors.ts'
import { packScene, planScene, unpackArchive } from '../../src/farm/scene/archive.ts'
import { isIgnored, parseIgnore } from '../../src/farm/scene/farmignore.ts'
import { BLOCK, encodeHeader, type UstarHeader } from '../../src/farm/scene/ustar.ts'
import { tempDir } from '../helpers/farm.ts'

async function writeTree(root: string, files: Record<string, string | Buffer>) {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true })
    await writeFile(join(root, path), content)
  }
}

async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1) + (e.isDirectory() ? '/' : ''))
    .sort()
}

/** An archive written entry by entry, to hand the unpacker what no honest packer would write. */
async function craft(entries: (Partial<UstarHeader> & { path: string; body?: string; flag?: string })[]) {
  const blocks: Buffer[] = []
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '')
    const header = encodeHeader({ type: 'file', mode: 0o644, size: body.length, linkTarget: '', ...e })
    if (e.flag) {
      header.write(e.flag, 156, 'latin1')
      header.fill(0x20, 148, 156)
      let sum = 0
      for (const b of header) sum += b
      header.write(`${sum.toString(8).padStart(6, '0')}\u0000`, 148, 7, 'latin1')
    }
    blocks.push(header, body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK))
  }
  blocks.push(Buffer.alloc(2 * BLOCK))
  const file = join(await tempDir(), 'crafted.tar')
  await writeFile(file, Buffer.concat(blocks))
  return file
}

async function refusal(promise: Promise<unknown>): Promise<FarmError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(FarmError)
  return err as FarmError
}

const scene = {
  'scene.pov': '#include "colors.inc"\nsphere { 0, 1 pigment { Red } }\n',
  'inc/colors.inc': '#declare Red = rgb <1,0,0>;\n',
  'textures/wood.png': randomBytes(3000),
}

describe('packScene', () => {
  it('gives the same bytes for the same files whatever their mtimes, modes and creation order', async () => {
    const a = await tempDir()
    const b = await tempDir()
    await writeTree(a, scene)
    await writeTree(b, Object.fromEntries(Object.entries(scene).reverse()))
    await utimes(join(b, 'scene.pov'), new Date(2001, 1, 1), new Date(2001, 1, 1))
    await chmod(join(b, 'inc/colors.inc'), 0o600)
    const out = await tempDir()
    const packedA = await packScene(a, join(out, 'a.tar'))
    const packedB = await packScene(b, join(out, 'b.tar'))
    expect(packedA.sha256).toBe(packedB.sha256)
    expect(await readFile(join(out, 'a.tar'))).toEqual(await readFile(join(out, 'b.tar')))
    expect(packedA.files).toBe(3)
    expect((await stat(join(out, 'a.tar'))).size).toBe(packedA.bytes)
    const hash = createHash('sha256')
      .update(await readFile(join(out, 'a.tar')))
      .digest('hex')
    expect(packedA.sha256).toBe(hash)
  })

  it('changes the hash when a file changes', async () => {
    const dir = await tempDir()
    await writeTree(dir, scene)
    const out = await tempDir()
    const before = await packScene(dir, join(out, '1.tar'))
    await writeFile(join(dir, 'scene.pov'), 'sphere { 0, 2 }\n')
    const after = await packScene(dir, join(out, '2.tar'))
    expect(after.sha256).not.toBe(before.sha256)
  })

  it('leaves out what .farmignore lists', async () => {
    const dir = await tempDir()
    await writeTree(dir, {
      ...scene,
      '.farmignore': '# renders and caches\n*.png\n!textures/wood.png\nrenders/\n/top.tmp\n**/cache/**\n',
      'renders/frame-0001.png': 'x',
      'preview.png': 'x',
      'top.tmp': 'x',
      'inc/top.tmp': 'kept: the pattern is anchored to the scene directory',
      'inc/cache/big.bin': 'x',
      '.git/HEAD': 'ref: refs/heads/main',
    })
    const plan = await planScene(dir)
    expect(plan.entries.map((e) => e.path)).toEqual([
      '.farmignore',
      'inc',
      'inc/cache',
      'inc/colors.inc',
      'inc/top.tmp',
      'scene.pov',
      'textures',
      'textures/wood.png',
    ])
  })

  it('refuses a scene over the size limit, naming the size and the limit, and writes nothing', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'scene.pov': 'x', 'big.df3': randomBytes(10_000) })
    const out = join(await tempDir(), 'scene.tar')
    const err = await refusal(packScene(dir, out, { maxBytes: 8192 }))
    expect(err.code).toBe('ARCHIVE_TOO_LARGE')
    expect(err.exitCode).toBe(2)
    expect(err.message).toContain('12800 bytes')
    expect(err.message).toContain('8.0 KiB')
    expect(err.message).toContain('.farmignore')
    await expect(stat(out)).rejects.toThrow()
  })

  it('refuses a link to a file outside the scene, and keeps a link inside it', async () => {
    const dir = await tempDir()
    await writeTree(dir, scene)
    await symlink('inc/colors.inc', join(dir, 'colors.inc'))
    const out = await tempDir()
    await packScene(dir, join(out, 'ok.tar'))
    await symlink('/etc/hostname', join(dir, 'host.inc'))
    const err = await refusal(packScene(dir, join(out, 'bad.tar')))
    expect(err.code).toBe('LINK_OUTSIDE_SCENE')
    expect(err.message).toContain('host.inc')
  })

  it('refuses a missing scene directory as bad input', async () => {
    const err = await refusal(planScene(join(await tempDir(), 'nope')))
    expect(err.code).toBe('SCENE_NOT_FOUND')
    expect(err.exitCode).toBe(2)
  })
})

describe('unpackArchive', () => {
  it('restores the scene: files, contents, executable bits, links, empty directories, long paths', async () => {
    const dir = await tempDir()
    const longPath = `${'deep/'.repeat(30)}texture-with-a-rather-long-name.png`
    await writeTree(dir, { ...scene, [longPath]: 'long', 'tools/bake.sh': '#!/bin/sh\n' })
    await chmod(join(dir, 'tools/bake.sh'), 0o700)
    await mkdir(join(dir, 'empty'))
    await symlink('inc/colors.inc', join(dir, 'colors.inc'))
    const tar = join(await tempDir(), 'scene.tar')
    await packScene(dir, tar)
    const sandbox = join(await tempDir(), 'job')
    const result = await unpackArchive(createReadStream(tar, { highWaterMark: 700 }), sandbox)
    expect(result.files).toBe(5)
    expect(await listTree(sandbox)).toEqual(await listTree(dir))
    expect(await readFile(join(sandbox, 'textures/wood.png'))).toEqual(scene['textures/wood.png'])
    expect(await readFile(join(sandbox, longPath), 'utf8')).toBe('long')
    expect((await stat(join(sandbox, 'tools/bake.sh'))).mode & 0o777).toBe(0o755)
    expect((await stat(join(sandbox, 'scene.pov'))).mode & 0o777).toBe(0o644)
    expect(await readlink(join(sandbox, 'colors.inc'))).toBe('inc/colors.inc')
  })

  it.each([
    ['an absolute path', [{ path: '/tmp/farm-evil' }], 'an absolute path'],
    ['a path with ..', [{ path: 'a/../../farm-evil' }], 'a path with ..'],
    [
      'a link to an absolute path',
      [{ path: 'l', type: 'symlink' as const, linkTarget: '/etc' }],
      'outside the scene',
    ],
    [
      'a link leading out with ..',
      [{ path: 'l', type: 'symlink' as const, linkTarget: '../..' }],
      'outside the scene',
    ],
    [
      'a link through a link leading out',
      [
        { path: 'deep/l', type: 'symlink' as const, linkTarget: '..' },
        { path: 'deep/m', type: 'symlink' as const, linkTarget: 'l/..' },
      ],
      'leads outside the scene',
    ],
    [
      'a link placed inside another link',
      [
        { path: 'l', type: 'symlink' as const, linkTarget: 'sub' },
        { path: 'sub', type: 'directory' as const },
        { path: 'l/x', type: 'symlink' as const, linkTarget: '.' },
      ],
      'inside another link',
    ],
    ['a hard link', [{ path: 'h', flag: '1', linkTarget: 'scene.pov' }], 'not a file, directory or symlink'],
    ['a device', [{ path: 'dev', flag: '3' }], 'not a file, directory or symlink'],
    ['the same path twice', [{ path: 'scene.pov' }], 'appears twice'],
  ])('refuses %s and leaves no sandbox behind', async (_, entries, reason) => {
    const archive = await craft([{ path: 'scene.pov', body: 'sphere {}' }, ...entries])
    const parent = await tempDir()
    const sandbox = join(parent, 'job')
    const err = await refusal(unpackArchive(archive, sandbox))
    expect(err.code).toBe('UNSAFE_ARCHIVE_ENTRY')
    expect(err.message).toContain(reason)
    expect(await readdir(parent)).toEqual([])
  })

  it('refuses a damaged archive', async () => {
    const dir = await tempDir()
    await writeTree(dir, scene)
    const tar = join(await tempDir(), 'scene.tar')
    await packScene(dir, tar)
    const bytes = await readFile(tar)
    const truncated = join(await tempDir(), 'truncated.tar')
    await writeFile(truncated, bytes.subarray(0, 2000))
    expect((await refusal(unpackArchive(truncated, join(await tempDir(), 'job')))).code).toBe('BAD_ARCHIVE')
    const flipped = Buffer.from(bytes)
    flipped[10] = flipped[10]! ^ 1
    const corrupt = join(await tempDir(), 'corrupt.tar')
    await writeFile(corrupt, flipped)
    const err = await refusal(unpackArchive(corrupt, join(await tempDir(), 'job')))
    expect(err.message).toContain('checksum')
  })

  it('refuses an archive bigger than the limit while unpacking it', async () => {
    const archive = await craft([{ path: 'big.bin', body: 'x'.repeat(5000) }])
    const err = await refusal(unpackArchive(archive, join(await tempDir(), 'job'), { maxBytes: 4096 }))
    expect(err.code).toBe('ARCHIVE_TOO_LARGE')
  })

  it('unpacks only into a new or empty directory', async () => {
    const archive = await craft([{ path: 'scene.pov', body: 'x' }])
    const sandbox = await tempDir()
    await writeFile(join(sandbox, 'old.pov'), 'y')
    expect((await refusal(unpackArchive(archive, sandbox))).code).toBe('SANDBOX_NOT_EMPTY')
    expect(await readFile(join(sandbox, 'old.pov'), 'utf8')).toBe('y')
  })
})

describe('.farmignore patterns', () => {
  const rules = parseIgnore(
    '*.blend1\n/renders\ncache/\n!cache/keep\ndocs/**/*.md\nframe-[0-9]?.png\n\\#literal\n',
  )
  it.each([
    ['scene.blend1', false, true],
    ['sub/scene.blend1', false, true],
    ['renders', true, true],
    ['sub/renders', true, false],
    ['cache', true, true],
    ['cache', false, false],
    ['docs/a/b/c.md', false, true],
    ['docs/c.md', false, true],
    ['frame-12.png', false, true],
    ['frame-a2.png', false, false],
    ['#literal', false, true],
    ['scene.blend', false, false],
  ])('%s (directory: %s) ignored: %s', (path, isDirectory, ignored) => {
    expect(isIgnored(rules, path, isDirectory)).toBe(ignored)
  })
})
