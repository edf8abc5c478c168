import { createHash } from 'node:crypto'
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkFrame, frameFileName } from '../../src/render/index.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { type FarmProcess, jobDetail, startNode, waitFor } from '../helpers/farm-cluster.ts'

/**
 * Real projects: files beside the scene, outside it, in linked libraries and on POV-Ray's
 * library path travel with the job. The artist's node renders nothing, so every frame below is
 * rendered by the other node from what was packed.
 */
const FIXTURES = join(REPO_ROOT, 'test', 'helpers', 'blender-assets.py')
const SIZE = '64x48'

async function blender(args: string[], file?: string) {
  await execa('blender', [
    '-b',
    '--factory-startup',
    ...(file ? [file] : []),
    '--python',
    FIXTURES,
    '--',
    ...args,
  ])
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
}

async function submit(node: FarmProcess, args: string[]) {
  const result = await runFarm(['submit', ...args, '--home', node.home])
  expect(result.exitCode, String(result.all)).toBe(0)
  return String(result.stdout).trim()
}

/** The pixel hash the worker reported for the job's frame, once it is verified. */
async function renderedPixels(node: FarmProcess, job: string, frame: number): Promise<string> {
  let hash: string | null = null
  await waitFor(
    async () => {
      const detail = await jobDetail(node, job)
      const f = detail.frames.find((x) => x.frame === frame)
      if (f?.status === 'verified') hash = f.pixelHash
      return hash !== null
    },
    90_000,
    `frame ${frame} of ${job.slice(0, 8)} to be verified`,
  )
  return hash!
}

async function localBlender(scene: string, frame: number): Promise<string> {
  const out = await tempDir()
  const result = await runFarm([
    'render',
    scene,
    '--frames',
    `${frame}-${frame}`,
    '--size',
    SIZE,
    '--out',
    out,
  ])
  expect(result.exitCode, String(result.all)).toBe(0)
  return (await checkFrame(join(out, frameFileName(frame)))).pixelHash
}

describe('a job of a real project', () => {
  let root: string
  let artist: FarmProcess
  let worker: FarmProcess
  let shots: string

  beforeAll(async () => {
    root = await tempDir('farm-assets-')
    shots = join(root, 'proj', 'shots')
    await mkdir(join(shots, 'textures'), { recursive: true })
    await mkdir(join(root, 'outside'), { recursive: true })
    await mkdir(join(root, 'libs', 'tex'), { recursive: true })
    for (const dir of ['tiles', 'outside/seq', 'outside/udim'])
      await mkdir(join(root, dir), { recursive: true })
    const fixtures = (async () => {
      await blender([
        'image',
        `${join(shots, 'textures', 'rel.png')},1,0,0`,
        `${join(root, 'outside', 'abs.png')},0,0,1`,
        `${join(root, 'libs', 'tex', 'green.png')},0,1,0`,
        `${join(root, 'outside', 'gone.png')},1,1,0`,
        ...[1, 2, 3].map((n) => `${join(root, 'outside', 'seq', `frame_000${n}.png`)},${n / 4},0,0`),
        ...[1001, 1002].map((n) => `${join(root, 'outside', 'udim', `wood.${n}.png`)},0,${(n - 1000) / 2},0`),
      ])
      await Promise.all([
        blender([
          'project',
          join(shots, 'scene.blend'),
          join(shots, 'textures', 'rel.png'),
          join(root, 'outside', 'abs.png'),
        ]),
        blender(['library', join(root, 'libs', 'lib.blend'), join(root, 'libs', 'tex', 'green.png')]),
        blender(['project', join(shots, 'broken.blend'), join(root, 'outside', 'gone.png')]),
        blender([
          'tiles',
          join(root, 'tiles', 'tiles.blend'),
          join(root, 'outside', 'seq', 'frame_0001.png'),
          join(root, 'outside', 'udim', 'wood.1001.png'),
        ]),
      ])
      await rm(join(root, 'outside', 'gone.png'))
      await copyFile(join(shots, 'scene.blend'), join(shots, 'linked.blend'))
      const linked = join(shots, 'linked.blend')
      await copyFile(join(root, 'libs', 'lib.blend'), join(root, 'libs', 'lib2.blend'))
      await copyFile(join(shots, 'scene.blend'), join(shots, 'orphan.blend'))
      await Promise.all([
        blender(['link', linked, join(root, 'libs', 'lib.blend')], linked),
        blender(
          ['link', join(shots, 'orphan.blend'), join(root, 'libs', 'lib2.blend')],
          join(shots, 'orphan.blend'),
        ),
      ])
      await rm(join(root, 'libs', 'lib2.blend'))
    })()
    const swarm = (async () => {
      const home = join(root, 'artist-home')
      const init = await runFarm([
        'init',
        '--home',
        home,
        '--name',
        'artist',
        '--owner',
        'artist',
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
      ])
      if (init.exitCode !== 0) throw new Error(`farm init failed: ${init.all}`)
      artist = await startNode('artist', home, ['--no-render'])
      const invite = String((await runFarm(['invite', '--home', home])).stdout).trim()
      worker = await startNode('worker', join(root, 'worker-home'), [
        invite,
        '--name',
        'worker',
        '--owner',
        'worker',
      ])
    })()
    await Promise.all([fixtures, swarm])
  }, 120_000)

  it('renders a .blend with a texture beside it and one outside the project as the artist does, leaving the .blend alone', async () => {
    const scene = join(shots, 'scene.blend')
    const before = await sha256(scene)
    const list = await runFarm(['submit', scene, '--list'])
    expect(list.exitCode, String(list.all)).toBe(0)
    expect(String(list.stdout)).toMatch(
      /^textures\/rel\.png +\d+ +image "rel\.png" in scene\.blend \(\/\/textures\/rel\.png\)$/m,
    )
    expect(String(list.stdout)).toContain(`_external${join(root, 'outside', 'abs.png')}`)
    expect(String(list.stdout)).toMatch(/^scene\.blend .*\[packed as a copy with its paths changed\]$/m)

    const job = await submit(artist, [scene, '--frames', '1-1', '--size', SIZE])
    const [remote, local] = await Promise.all([renderedPixels(artist, job, 1), localBlender(scene, 1)])
    expect((await jobDetail(artist, job)).frames[0]!.worker).toBe(worker.id)
    expect(remote).toBe(local)
    expect(await sha256(scene)).toBe(before)
  }, 150_000)

  it('renders a .blend that links a collection from a library outside its directory, with the linked objects', async () => {
    const linked = join(shots, 'linked.blend')
    const job = await submit(artist, [linked, '--frames', '1-1', '--size', SIZE])
    const [remote, local, unlinked] = await Promise.all([
      renderedPixels(artist, job, 1),
      localBlender(linked, 1),
      localBlender(join(shots, 'scene.blend'), 1),
    ])
    expect(remote).toBe(local)
    expect(remote).not.toBe(unlinked)
  }, 150_000)

  it('lists every frame of an image sequence and every UDIM tile', async () => {
    const list = await runFarm(['submit', join(root, 'tiles', 'tiles.blend'), '--list', '--json'])
    expect(list.exitCode, String(list.all)).toBe(0)
    const files = (JSON.parse(String(list.stdout)) as { files: { path: string }[] }).files.map((f) => f.path)
    const outside = `_external${join(root, 'outside')}`
    expect(files).toEqual([
      `${outside}/seq/frame_0001.png`,
      `${outside}/seq/frame_0002.png`,
      `${outside}/seq/frame_0003.png`,
      `${outside}/udim/wood.1001.png`,
      `${outside}/udim/wood.1002.png`,
      'tiles.blend',
    ])
  }, 60_000)

  it('refuses a scene whose texture is missing, naming it, and a forced job fails on the worker with the reason', async () => {
    const broken = join(shots, 'broken.blend')
    const gone = join(root, 'outside', 'gone.png')
    const refused = await runFarm(['submit', broken, '--frames', '1-1', '--home', artist.home])
    expect(refused.exitCode).toBe(2)
    expect(String(refused.stderr)).toContain(
      `${gone}: image "gone.png" in broken.blend (//../../outside/gone.png)`,
    )
    expect(String(refused.stderr)).toContain('--allow-missing')
    expect((await runFarm(['submit', broken, '--list'])).exitCode).toBe(2)

    const job = await submit(artist, [
      broken,
      '--frames',
      '1-1',
      '--size',
      SIZE,
      '--allow-missing',
      '--fail-fast',
    ])
    await waitFor(async () => (await jobDetail(artist, job)).status === 'failed', 90_000, 'the job to fail')
    const logs = await runFarm(['logs', job, '1', '--home', artist.home])
    expect(String(logs.stdout)).toMatch(/needs files that are not there/)
    expect(String(logs.stdout)).toMatch(
      /image "gone\.png" reads \/\/_external\/.*outside\/gone\.png: cannot read .*: No such file or directory/,
    )
  }, 150_000)

  it("fails a frame whose linked library is missing with Blender's own words", async () => {
    const orphan = join(shots, 'orphan.blend')
    const refused = await runFarm(['submit', orphan, '--frames', '1-1', '--home', artist.home])
    expect(refused.exitCode).toBe(2)
    expect(String(refused.stderr)).toContain(
      `${join(root, 'libs', 'lib2.blend')}: library "lib2.blend" in orphan.blend`,
    )
    const job = await submit(artist, [
      orphan,
      '--frames',
      '1-1',
      '--size',
      SIZE,
      '--allow-missing',
      '--fail-fast',
    ])
    await waitFor(async () => (await jobDetail(artist, job)).status === 'failed', 90_000, 'the job to fail')
    const logs = String((await runFarm(['logs', job, '1', '--home', artist.home])).stdout)
    expect(logs).toMatch(
      /Warning: Unable to open '.*\/_external\/.*\/libs\/lib2\.blend': No such file or directory/,
    )
  }, 150_000)

  it('renders a POV-Ray scene with an include from a +L library and an image_map from outside as plain povray does', async () => {
    const dir = join(root, 'pov', 'scene')
    const lib = join(root, 'pov', 'lib')
    await mkdir(dir, { recursive: true })
    await mkdir(lib, { recursive: true })
    await writeFile(join(lib, 'ball.inc'), '#declare Ball = sphere { 0, 1 pigment { rgb <1, 0.5, 0> } }\n')
    await writeFile(
      join(dir, 'scene.pov'),
      [
        '#include "colors.inc"',
        '#include "ball.inc"',
        'camera { location <0, 2, -5> look_at 0 }',
        'light_source { <2, 4, -3> White }',
        'object { Ball translate <-1.2, 0, 0> }',
        'box { -1, 1 translate <1.2, 0, 0> pigment { image_map { png "../../outside/abs.png" } } }',
        '',
      ].join('\n'),
    )
    const plain = join(await tempDir(), 'plain.png')
    await execa(
      'povray',
      [`+I${join(dir, 'scene.pov')}`, `+O${plain}`, '+FN', '-D', '+W64', '+H48', '+A0.3', '+Q9', `+L${lib}`],
      { cwd: dir },
    )
    const job = await submit(artist, [
      join(dir, 'scene.pov'),
      '--frames',
      '1-1',
      '--size',
      SIZE,
      '--library',
      lib,
    ])
    expect(await renderedPixels(artist, job, 1)).toBe((await checkFrame(plain)).pixelHash)
    const scene = await readFile(join(dir, 'scene.pov'), 'utf8')
    expect(scene).toContain('"../../outside/abs.png"')
  }, 120_000)

  it('sends only the changed file when a project is submitted again', async () => {
    const scene = join(shots, 'scene.blend')
    const rel = join(shots, 'textures', 'rel.png')
    await blender(['image', `${rel},1,0,1`])
    const job = await submit(artist, [scene, '--frames', '2-2', '--size', SIZE])
    const size = (await stat(rel)).size
    await renderedPixels(artist, job, 2)
    const line = new RegExp(
      `scene of job ${job.slice(0, 8)}\\w*: (\\d+) files \\(\\d+ bytes\\); fetched (\\d+) \\((\\d+) bytes\\)`,
    )
    const match = line.exec(worker.log())
    expect(match, worker.log()).not.toBeNull()
    expect(Number(match![1])).toBeGreaterThan(3)
    expect({ files: Number(match![2]), bytes: Number(match![3]) }).toEqual({ files: 1, bytes: size })
  }, 120_000)
})
