import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import type { Estimate } from '../../src/farm/index.ts'
import { runFarm, tempDir } from '../helpers/farm.ts'

/**
 * `farm estimate --local` of a real POV-Ray scene whose cost rises along the timeline (its area
 * light takes more samples every frame): a few frames predict the total that rendering every
 * frame measures, within 20 %.
 */
const RISING = `// Soft shadows get finer along the timeline: the area light's samples grow with the clock.
#declare N = 2 + int(16 * clock);
camera { location <0, 1.5, -4> look_at <0, 0.5, 0> }
light_source { <2, 4, -3> color rgb 1 area_light <1.5, 0, 0>, <0, 0, 1.5>, N, N }
plane { y, 0 pigment { checker color rgb 1 color rgb 0.2 } }
#declare I = 0;
#while (I < 12)
  sphere { <mod(I, 4) - 1.5, 0.4 + 0.4 * int(I / 4), 1 + int(I / 4)>, 0.35
    pigment { color rgb <mod(I, 3) / 2, 0.5, 1 - clock> } }
  #declare I = I + 1;
#end
`

describe('farm estimate', () => {
  it('predicts the total WU of a scene whose cost rises along the timeline within 20 %', async () => {
    const dir = await tempDir('farm-estimate-')
    const scene = join(dir, 'rising.pov')
    await writeFile(scene, RISING)
    const chart = join(dir, 'chart.png')
    const args = [scene, '--frames', '1-12', '--size', '64x48', '--local', '--home', join(dir, 'no-node')]
    const estimate = await runFarm(['estimate', ...args, '--chart', chart, '--price', '2'])
    expect(estimate.exitCode, String(estimate.all)).toBe(0)
    const out = String(estimate.stdout)
    // The first, the last, the middle of the timeline, and a close pair at its start.
    expect(out).toMatch(/frames 1-12 at 64x48: 5 rendered \(1, 2, 4, 7, 12\)/)
    expect(out).toMatch(/WU per frame: [▁▂▃▄▅▆▇█]{12} /)
    expect(out).toMatch(/ETA \S+ on this machine \(1\.00 WUPM\)/)
    const predicted = Number(/total (\d+\.\d+) WU/.exec(out)?.[1])
    const cost = Number(/cost (\d+\.\d+) cr at 2\.000 cr a WU/.exec(out)?.[1])
    expect(cost).toBeCloseTo(predicted * 2, 2)

    const every = await runFarm(['estimate', ...args, '--samples', '12', '--json'])
    expect(every.exitCode, String(every.all)).toBe(0)
    const measured = JSON.parse(String(every.stdout)) as Estimate
    expect(measured.samples.map((s) => s.frame)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    const total = measured.samples.reduce((sum, s) => sum + s.milliWU, 0) / 1000
    // The scene does what it says: the last frame costs several times the first.
    expect(measured.samples.at(-1)!.milliWU).toBeGreaterThan(4 * measured.samples[0]!.milliWU)
    // Both runs measure CPU time, which a shared machine's other load still sways (caches, a
    // sibling hyperthread): judge the prediction as if its five frames had been measured in the
    // second run, by the second run's own figures for those frames.
    const sampled = [...String(estimate.stderr).matchAll(/frame (\d+): \S+ s, (\d+\.\d+) WU/g)].map((m) => ({
      frame: Number(m[1]),
      wu: Number(m[2]),
    }))
    expect(sampled.map((s) => s.frame)).toEqual([1, 2, 4, 7, 12])
    const again = sampled.reduce((sum, s) => sum + measured.samples[s.frame - 1]!.milliWU / 1000, 0)
    const drift = again / sampled.reduce((sum, s) => sum + s.wu, 0)
    expect(drift, 'the same five frames cost about the same in both runs').toBeGreaterThan(0.5)
    expect(drift).toBeLessThan(2)
    expect(
      Math.abs(predicted * drift - total) / total,
      `predicted ${predicted} WU (x${drift.toFixed(3)} for the second run's load), measured ${total} WU`,
    ).toBeLessThanOrEqual(0.2)

    const png = PNG.sync.read(await readFile(chart))
    expect(png.width).toBeGreaterThan(png.height)
    // Dark bars for the 5 frames rendered, light ones for the 7 between.
    const colours = new Set<string>()
    for (let i = 0; i < png.data.length; i += 4)
      colours.add(`${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`)
    expect(colours).toContain('30,70,160')
    expect(colours).toContain('160,185,230')
  }, 240_000)

  it('says what to add without --local, and refuses a bad range with exit 2', async () => {
    const noLocal = await runFarm(['estimate', 'x.pov', '--frames', '1-4'])
    expect(noLocal.exitCode).toBe(2)
    expect(noLocal.stderr).toContain('add --local')
    const reversed = await runFarm(['estimate', 'x.pov', '--frames', '9-4', '--local'])
    expect(reversed.exitCode).toBe(2)
    expect(reversed.stderr).toContain('reversed')
  })
})
