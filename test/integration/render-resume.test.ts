import { mkdir, readdir, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { frameFileName, framesOf, renderFrames } from '../../src/render/index.ts'
import { REPO_ROOT, runFarm, spawnFarm, tempDir } from '../helpers/farm.ts'
import { probeVideo } from '../helpers/render-video.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')

/** Processes whose command line names DIR: renderers a run left behind. */
async function processesUsing(dir: string): Promise<string[]> {
  const { stdout } = await execa('ps', ['-eo', 'args'])
  return stdout.split('\n').filter((line) => line.includes(dir) && !line.startsWith('ps '))
}

describe('an interrupted farm render', () => {
  it('stops its renderers on Ctrl-C, then resumes keeping the valid frames and re-rendering the rest', async () => {
    const out = await tempDir()
    const args = ['render', ORBIT, '--frames', '1-12', '--size', '160x120', '--jobs', '1', '--out', out]
    const first = spawnFarm(args)
    try {
      let log = ''
      await new Promise<void>((resolve, reject) => {
        first.all?.on('data', (chunk: Buffer) => {
          log += chunk.toString()
          if (log.includes('frame 3 rendered')) resolve()
        })
        first.then(() => reject(new Error(`farm render ended before frame 3:\n${log}`)), reject)
      })
      first.kill('SIGINT')
      const stopped = await first
      expect(stopped.exitCode).toBe(130)
      expect(log).toContain('stopped. Finished frames stay in')
    } finally {
      first.kill('SIGKILL')
    }
    expect(await processesUsing(out)).toEqual([])
    const kept = (await readdir(out)).sort()
    expect(kept.every((f) => f.startsWith('frame-'))).toBe(true)
    expect(kept.length).toBeGreaterThanOrEqual(3)
    expect(kept.length).toBeLessThan(12)

    // A frame cut short, as a crash mid-write would leave it, must be rendered again.
    await truncate(join(out, frameFileName(2)), 100)
    // And a run killed outright leaves its chunk directory, named with its (now dead) pid.
    const gone = execa('true')
    await gone
    const abandoned = join(out, `.farm-chunk-${gone.pid}-0000`)
    await mkdir(abandoned)
    await writeFile(join(abandoned, 'f05.png'), 'half')
    const second = await runFarm(args)
    expect(second.exitCode).toBe(0)
    expect(second.stderr).toContain('frame 1 kept')
    expect(second.stderr).toContain('frame 2 rendered')
    expect(second.stderr).toContain('frame 3 kept')
    expect(second.stderr).toContain('frame 12 rendered')
    expect(await probeVideo(join(out, 'video.mp4'))).toMatchObject({ frames: 12, width: 160, height: 120 })
    expect((await readdir(out)).filter((f) => !f.startsWith('frame-'))).toEqual(['video.mp4'])
  })
})

describe('a chunk that fails part way', () => {
  it("keeps the frames it finished before the failing one, and reports POV-Ray's message", async () => {
    const dir = await tempDir()
    const scene = join(dir, 'fails-at-9.pov')
    await writeFile(
      scene,
      '#if (frame_number = 9) #error "frame nine is cursed" #end\ncamera { location <0, 1, -4> look_at 0 }\nlight_source { <2, 4, -3> rgb 1 }\nsphere { 0, 1 pigment { rgb <clock, 0.5, 1> } }\n',
    )
    const out = join(dir, 'out')
    // 20 frames on one process go in chunks of 5: 1-5 succeeds, 6-10 writes 6, 7 and 8, then stops.
    const err = await renderFrames({
      scene,
      frames: framesOf({ first: 1, last: 20 }),
      size: { width: 32, height: 24 },
      outDir: out,
      jobs: 1,
    }).catch((e: unknown) => e)
    expect((err as Error).message).toContain('frame nine is cursed')
    // Frame 8 was the last one written, and could have been cut short: it is rendered again.
    expect((await readdir(out)).sort()).toEqual(framesOf({ first: 1, last: 7 }).map(frameFileName))
  })
})
