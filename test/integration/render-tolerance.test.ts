import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compareImages } from '../../src/farm/work/verifier.ts'
import { renderFrames } from '../../src/render/index.ts'
import { REPO_ROOT, tempDir } from '../helpers/farm.ts'

const TOP = join(REPO_ROOT, 'examples', 'blender', 'spinning-top.blend')
const SIZE = { width: 160, height: 120 }

/** A soft shadow from an area light with `jitter`: POV-Ray samples it differently each render. */
const JITTER = (boxX: number) => `#version 3.7;
global_settings { assumed_gamma 1.0 }
camera { location <0, 2, -6> look_at <0, 0.5, 0> }
light_source { <3, 6, -4> color rgb 1 area_light <2, 0, 0>, <0, 0, 2>, 5, 5 jitter adaptive 1 }
plane { y, 0 pigment { checker rgb 0.9 rgb 0.2 } }
sphere { <-0.8, 0.8, 0>, 0.8 pigment { rgb <0.9, 0.3, 0.2> } finish { phong 0.6 } }
box { <${boxX}, 0, -0.5>, <${boxX + 1}, 1, 0.5> pigment { rgb <0.2, 0.5, 0.9> } }
`

async function render(scene: string, threads: number) {
  const [result] = await renderFrames({
    scene,
    frames: [1],
    animation: { first: 1, last: 4 },
    size: SIZE,
    outDir: await tempDir(),
    jobs: 1,
    threads,
  })
  return result!
}

async function scene(text: string) {
  const file = join(await tempDir(), 'scene.pov')
  await writeFile(file, text)
  return file
}

describe("the verifier's tolerance", () => {
  it('passes two jittered area-light renders of one frame, and fails one with a box moved by 0.05', async () => {
    const original = await scene(JITTER(0.6))
    const [a, b, moved] = await Promise.all([
      render(original, 1),
      render(original, 2),
      render(await scene(JITTER(0.65)), 1),
    ])
    expect(a.pixelHash).not.toBe(b.pixelHash)
    expect((await compareImages(a, b)).alike).toBe(true)
    const off = await compareImages(a, moved)
    expect(off.alike).toBe(false)
    expect(off.psnr).toBeLessThan(45)
  }, 60_000)

  it.runIf(existsSync(TOP))(
    'passes Blender Cycles renders at different thread counts',
    async () => {
      const one = await render(TOP, 1)
      const two = await render(TOP, 2)
      expect((await compareImages(one, two)).alike).toBe(true)
    },
    90_000,
  )
})
