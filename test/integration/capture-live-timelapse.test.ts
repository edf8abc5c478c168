import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import type { DayManifest } from '../../src/capture/index.ts'
import { buildDayTimelapse } from '../../src/capture/timelapse/day.ts'
import { clockedCapturer } from '../helpers/capture.ts'
import { tempDir } from '../helpers/farm.ts'
import { probeVideo } from '../helpers/render-video.ts'

const DAY = '2026-11-20'

async function manifest(dir: string, day: string): Promise<DayManifest> {
  return JSON.parse(await readFile(join(dir, 'frames', day, 'manifest.json'), 'utf8'))
}

/** Mean PSNR (dB) of one video against another, frame by frame: a frame out of order drops it far. */
async function psnr(a: string, b: string): Promise<number> {
  const { stderr } = await execa('ffmpeg', [
    '-hide_banner',
    '-i',
    a,
    '-i',
    b,
    '-lavfi',
    '[0:v]settb=1/25,setpts=N[x];[1:v]settb=1/25,setpts=N[y];[x][y]psnr',
    '-f',
    'null',
    '-',
  ])
  return Number(/PSNR .*average:([\d.]+|inf)/.exec(stderr)?.[1]?.replace('inf', '99'))
}

const hours = (day: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${day}T${String(i + 1).padStart(2, '0')}:00:00Z`)

describe('the live timelapse', () => {
  it('grows by its last segment only, and matches a whole re-encode frame for frame', async () => {
    const dir = await tempDir()
    await clockedCapturer(dir, { fps: 4, size: '160x120' }).captureAt(hours(DAY, 7))
    const frames = (await manifest(dir, DAY)).frames
    const video = join(dir, 'timelapse', `${DAY}.mp4`)
    const live = (count: number) =>
      buildDayTimelapse({
        dir,
        day: DAY,
        frames: frames.slice(0, count),
        fps: 4,
        timeoutMs: 30_000,
        live: true,
        segmentFrames: 3,
      })

    expect(await live(6)).toEqual({ encoded: 6 })
    expect((await readdir(join(dir, 'segments', DAY))).sort()).toHaveLength(2)
    // A seventh frame starts a third segment; the first two are kept as they are.
    expect(await live(7)).toEqual({ encoded: 1 })
    expect(await readdir(join(dir, 'segments', DAY))).toHaveLength(3)
    expect(await probeVideo(video)).toMatchObject({ frames: 7, width: 160, height: 120, codec: 'h264' })
    const liveCopy = join(dir, 'live.mp4')
    await execa('cp', [video, liveCopy])

    // The same frames encoded whole: the live video shows the same pictures in the same order.
    await buildDayTimelapse({ dir, day: DAY, frames, fps: 4, timeoutMs: 30_000, live: false })
    expect(await probeVideo(video)).toMatchObject({ frames: 7 })
    expect(await psnr(liveCopy, video)).toBeGreaterThan(38)
    // A finished day keeps only its whole video.
    await expect(stat(join(dir, 'segments', DAY))).rejects.toThrow(/ENOENT/)
  })

  it('every capture updates today live; the first tick of the next day finishes yesterday whole', async () => {
    const dir = await tempDir()
    const camera = clockedCapturer(dir, { fps: 4, size: '160x120' })
    await camera.captureAt(hours(DAY, 3))
    expect(await readdir(join(dir, 'segments', DAY))).toHaveLength(1)
    expect((await probeVideo(join(dir, 'timelapse', `${DAY}.mp4`))).frames).toBe(3)
    await camera.captureAt(['2026-11-21T00:30:00Z'])
    expect((await manifest(dir, DAY)).final).toBe(true)
    expect((await probeVideo(join(dir, 'timelapse', `${DAY}.mp4`))).frames).toBe(3)
    expect(await readdir(join(dir, 'segments'))).toEqual(['2026-11-21'])
  })
})
