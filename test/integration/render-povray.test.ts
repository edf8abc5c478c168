import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkFrame, frameFileName, renderFrames } from '../../src/render/index.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { probeVideo } from '../helpers/render-video.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')

describe('farm render with POV-Ray', () => {
  it('renders an animation and stitches an H.264 MP4 with every frame at the asked size and rate', async () => {
    const out = await tempDir()
    // Run from another directory: the scene's #include must resolve beside the scene.
    const result = await runFarm(
      ['render', ORBIT, '--frames', '1-6', '--size', '64x48', '--fps', '12', '--out', out],
      {
        cwd: await tempDir(),
      },
    )
    expect(result.stderr).not.toMatch(/failed/)
    expect(result.exitCode).toBe(0)
    expect(result.stdout.trim()).toBe(join(out, 'video.mp4'))
    // Two processes finish frames out of order; the count reaches 6/6 whichever comes last.
    for (const frame of [1, 2, 3, 4, 5, 6]) expect(result.stderr).toContain(`frame ${frame} rendered: `)
    expect(result.stderr).toMatch(/rendered: 6\/6 frames/)
    expect(await probeVideo(join(out, 'video.mp4'))).toEqual({
      frames: 6,
      width: 64,
      height: 48,
      fps: '12/1',
      codec: 'h264',
      pixFmt: 'yuv420p',
    })
    const files = (await readdir(out)).sort()
    expect(files).toEqual([...[1, 2, 3, 4, 5, 6].map(frameFileName), 'video.mp4'])
    const hashes = await Promise.all(
      files.slice(0, 6).map(async (f) => (await checkFrame(join(out, f))).pixelHash),
    )
    expect(new Set(hashes).size).toBe(6)
  })

  it('gives identical pixels for a frame rendered twice, alone or inside a chunk, on 1 or 2 threads', async () => {
    const size = { width: 64, height: 48 }
    const animation = { first: 1, last: 10 }
    const [chunk, alone, again] = await Promise.all([
      renderFrames({ scene: ORBIT, frames: [3, 4, 5], animation, size, outDir: await tempDir(), jobs: 1 }),
      renderFrames({ scene: ORBIT, frames: [4], animation, size, outDir: await tempDir(), threads: 2 }),
      renderFrames({ scene: ORBIT, frames: [4], animation, size, outDir: await tempDir(), threads: 1 }),
    ])
    expect(alone[0]!.pixelHash).toBe(again[0]!.pixelHash)
    expect(chunk.find((r) => r.frame === 4)!.pixelHash).toBe(alone[0]!.pixelHash)
    expect(chunk.find((r) => r.frame === 3)!.pixelHash).not.toBe(alone[0]!.pixelHash)
  })

  it('also writes a GIF and a WebM when asked', async () => {
    const out = await tempDir()
    const result = await runFarm([
      'render',
      ORBIT,
      ...'--frames 1-4 --size 64x48 --gif --webm'.split(' '),
      '--out',
      out,
    ])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.trim().split('\n')).toEqual(
      ['mp4', 'gif', 'webm'].map((ext) => join(out, `video.${ext}`)),
    )
    expect(await probeVideo(join(out, 'video.webm'))).toMatchObject({ frames: 4, codec: 'vp9', width: 64 })
    expect(await probeVideo(join(out, 'video.gif'))).toMatchObject({ frames: 4, codec: 'gif', height: 48 })
  })
})
