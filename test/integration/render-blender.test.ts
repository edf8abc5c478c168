import { join } from 'node:path'
import { execa } from 'execa'
import { beforeAll, describe, expect, it } from 'vitest'
import { renderFrames } from '../../src/render/index.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { probeVideo } from '../helpers/render-video.ts'

const TOP = join(REPO_ROOT, 'examples', 'blender', 'spinning-top.blend')

beforeAll(async () => {
  // The example .blend is generated, not committed; setup makes it, and so does this.
  await execa('bash', [join(REPO_ROOT, 'scripts', 'setup.d', 'blender-example.sh')])
})

describe('farm render with Blender', () => {
  it('renders a file saved with denoising on, says it turned denoising off, and stitches the MP4', async () => {
    const out = await tempDir()
    const result = await runFarm([
      'render',
      TOP,
      ...'--frames 1-3 --size 64x48 --fps 24'.split(' '),
      '--out',
      out,
    ])
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toContain('built without OpenImageDenoise: rendering with denoising off')
    expect(await probeVideo(join(out, 'video.mp4'))).toMatchObject({
      frames: 3,
      width: 64,
      height: 48,
      fps: '24/1',
    })
  })

  it('gives identical pixels for the same frame rendered twice, on 2 threads and on 1, and different pixels for another frame', async () => {
    const size = { width: 64, height: 48 }
    const first = await renderFrames({ scene: TOP, frames: [10, 11], size, outDir: await tempDir() })
    const second = await renderFrames({ scene: TOP, frames: [10], size, outDir: await tempDir(), threads: 1 })
    expect(second[0]!.pixelHash).toBe(first[0]!.pixelHash)
    expect(first[1]!.pixelHash).not.toBe(first[0]!.pixelHash)
    expect(first[0]).toMatchObject({ width: 64, height: 48 })
  })
})
