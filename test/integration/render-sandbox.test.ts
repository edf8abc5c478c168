import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkFrame, renderFrames, sandboxReport } from '../../src/render/index.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')
const TOP = join(REPO_ROOT, 'examples', 'blender', 'spinning-top.blend')
const size = { width: 64, height: 48 }

/** A bright red private image and a secret text file outside every scene directory. */
async function plantPrivate(): Promise<{ dir: string; png: string; text: string }> {
  const dir = await tempDir('farm-private-')
  const png = new PNG({ width: 8, height: 8 })
  for (let i = 0; i < png.data.length; i += 4) png.data.set([255, 0, 0, 255], i)
  await writeFile(join(dir, 'secret.png'), PNG.sync.write(png))
  await writeFile(join(dir, 'secret.txt'), '42\n')
  return { dir, png: join(dir, 'secret.png'), text: join(dir, 'secret.txt') }
}

async function scene(source: string): Promise<string> {
  const dir = await tempDir('farm-scene-')
  const file = join(dir, 'scene.pov')
  await writeFile(file, source)
  return file
}

const CAMERA = 'camera { location <0,0,-3> look_at 0 }\nlight_source { <0,5,-5> rgb 1 }\n'

describe('the render sandbox', () => {
  let priv: Awaited<ReturnType<typeof plantPrivate>>
  beforeAll(async () => {
    expect((await sandboxReport()).problem).toBeUndefined()
    priv = await plantPrivate()
  })

  it('gives the same pixels as a plain render, for POV-Ray and Blender', async () => {
    const animation = { first: 1, last: 4 }
    const [plain, boxed, plainTop, boxedTop] = await Promise.all([
      renderFrames({ scene: ORBIT, frames: [2, 3], animation, size, outDir: await tempDir(), jobs: 1 }),
      renderFrames({
        scene: ORBIT,
        frames: [2, 3],
        animation,
        size,
        outDir: await tempDir(),
        jobs: 1,
        sandbox: {},
      }),
      renderFrames({ scene: TOP, frames: [1], size, outDir: await tempDir() }),
      renderFrames({ scene: TOP, frames: [1], size, outDir: await tempDir(), sandbox: {} }),
    ])
    expect(boxed.map((f) => f.pixelHash)).toEqual(plain.map((f) => f.pixelHash))
    expect(boxedTop[0]!.pixelHash).toBe(plainTop[0]!.pixelHash)
  })

  it('lets a POV-Ray scene read neither a private file (#fopen) nor a private image (image_map)', async () => {
    const fopen = await scene(
      `#fopen F "${priv.text}" read\n#read (F, N)\n${CAMERA}sphere { 0, 1 pigment { rgb N } }\n`,
    )
    const imageMap = await scene(
      `${CAMERA}plane { z, 0 pigment { image_map { png "${priv.png}" } scale 4 translate -2 } }\n`,
    )
    // Unsandboxed, Debian's povray.conf lets a scene read the whole of $HOME and /tmp: these read.
    const leak = await renderFrames({ scene: imageMap, frames: [1], size, outDir: await tempDir() })
    expect(leak).toHaveLength(1)
    for (const file of [fopen, imageMap]) {
      const out = await tempDir()
      const err = await renderFrames({ scene: file, frames: [1], size, outDir: out, sandbox: {} }).catch(
        (e: Error) => e,
      )
      expect(err).toBeInstanceOf(Error)
      expect((err as Error).message).toMatch(/secret\.(txt|png)/)
      expect((err as Error).message).toMatch(/Cannot open|not allowed|Permission/i)
    }
  })

  it('writes nothing outside its chunk directory: not /tmp, not the scene, not the home', async () => {
    const target = join(priv.dir, 'written.txt')
    const home = join(priv.dir, 'home')
    await mkdir(home)
    await writeFile(join(home, 'config.json'), '{"name":"victim"}\n')
    // One scene per target: POV-Ray stops at the first file it cannot open. (Its 3.7 build
    // here does not enforce povray.conf at all: what stops these is the sandbox's filesystem,
    // where /tmp is private and empty, the scene read-only, and the home absent.)
    for (const path of [target, '/tmp/farm-sandbox-escape.txt', join(home, 'config.json')]) {
      const writer = await scene(
        `#fopen A "${path}" write\n#write (A, "owned")\n#fclose A\n${CAMERA}sphere { 0, 1 pigment { rgb 1 } }\n`,
      )
      await renderFrames({ scene: writer, frames: [1], size, outDir: await tempDir(), sandbox: {} }).catch(
        (e: Error) => expect(e.message).toMatch(/Cannot open|not allowed|Permission|Read-only/i),
      )
    }
    expect(existsSync(target)).toBe(false)
    expect(existsSync('/tmp/farm-sandbox-escape.txt')).toBe(false)
    expect(await readFile(join(home, 'config.json'), 'utf8')).toBe('{"name":"victim"}\n')
  })

  it('kills a scene that never ends at its frame timeout, leaving no renderer behind', async () => {
    const forever = await scene(`#while (1) #end\n${CAMERA}`)
    const started = Date.now()
    const err = await renderFrames({
      scene: forever,
      frames: [1],
      size,
      outDir: await tempDir(),
      sandbox: {},
      frameTimeoutMs: 2000,
    }).catch((e: Error) => e)
    expect((err as Error).message).toMatch(/exceeded the job's frame timeout of 2 s/)
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(pgrep(forever)).toEqual([])
  })

  it('farm render --sandbox renders the example, and an image beside the scene still maps', async () => {
    const dir = await tempDir('farm-scene-')
    const png = join(dir, 'tex.png')
    await copyFile(priv.png, png)
    const file = join(dir, 'scene.pov')
    await writeFile(
      file,
      `${CAMERA}plane { z, 0 pigment { image_map { png "tex.png" } scale 4 translate -2 } }\n`,
    )
    const out = await tempDir()
    const result = await runFarm([
      'render',
      file,
      '--frames',
      '1',
      '--size',
      '64x48',
      '--out',
      out,
      '--no-video',
      '--sandbox',
    ])
    expect(result.stderr).not.toMatch(/failed/)
    expect(result.exitCode).toBe(0)
    expect((await checkFrame(join(out, 'frame-000001.png'), size)).width).toBe(64)
  })
})

/** Pids of processes whose command line names `text`. */
function pgrep(text: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).trim().split('\n').map(Number)
  } catch {
    return []
  }
}
