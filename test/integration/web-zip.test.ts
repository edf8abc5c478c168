import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { ZipWriter } from '../../src/web/zip.ts'
import { tempDir } from '../helpers/farm.ts'

const files = [
  { name: '2026-11-21/090000.jpg', data: randomBytes(70_000) },
  { name: '2026-11-21/100000.jpg', data: randomBytes(3) },
  { name: '2026-11-21/été.jpg', data: Buffer.alloc(0) },
]

async function zipOf(opts: { zip64From?: number }): Promise<string> {
  const chunks: Buffer[] = []
  const zip = new ZipWriter(async (chunk) => {
    chunks.push(Buffer.from(chunk))
  }, opts)
  for (const file of files) await zip.add(file.name, file.data, new Date('2026-11-21T09:00:04Z'))
  await zip.finish()
  const path = join(await tempDir(), 'frames.zip')
  await writeFile(path, Buffer.concat(chunks))
  return path
}

/** What Python's zipfile, a second reader besides Info-ZIP, finds: names, sizes, CRCs checked, times. */
async function pythonReads(path: string) {
  const script = `import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, i.file_size, list(i.date_time), z.read(i).hex()[:16]] for i in z.infolist()]))`
  return JSON.parse((await execa('python3', ['-c', script, path])).stdout)
}

describe('the store-only zip writer', () => {
  for (const [label, opts] of [
    ['plain', {}],
    ['with Zip64 records, as past 4 GiB', { zip64From: 0 }],
  ] as const) {
    it(`writes an archive unzip and Python both read back exactly (${label})`, async () => {
      const path = await zipOf(opts)
      expect((await execa('unzip', ['-t', path])).stdout).toContain('No errors detected')
      for (const file of files) {
        const out = await execa('unzip', ['-p', path, file.name], { encoding: 'buffer' })
        expect(Buffer.compare(out.stdout, file.data), file.name).toBe(0)
      }
      expect(await pythonReads(path)).toEqual(
        files.map((f) => [
          f.name,
          f.data.length,
          [2026, 11, 21, 9, 0, 4],
          f.data.toString('hex').slice(0, 16),
        ]),
      )
    })
  }
})
