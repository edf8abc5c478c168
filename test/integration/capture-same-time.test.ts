import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clockedCapturer } from '../helpers/capture.ts'
import { runFarm, tempDir } from '../helpers/farm.ts'
import { probeVideo } from '../helpers/render-video.ts'

describe('same time every day', () => {
  it('farm capture --rebuild --span --at plays one frame per day nearest the time', async () => {
    const dir = await tempDir()
    await clockedCapturer(dir, { size: '160x120' }).captureAt([
      '2026-11-01T09:00:00Z',
      '2026-11-01T12:10:00Z',
      '2026-11-02T11:40:00Z',
      '2026-11-02T18:00:00Z',
      '2026-11-03T06:00:00Z',
      '2026-11-04T12:00:00Z',
      '2026-12-01T12:00:00Z',
    ])
    const result = await runFarm(['capture', '--rebuild', '--span', '2026-11', '--at', '12:00', '--dir', dir])
    expect(result.stderr).toContain(
      'same-time video of 3 days (2026-11-01 to 2026-11-04); no frame near 12:00 on 2026-11-03',
    )
    expect(result.exitCode).toBe(0)
    const path = result.stdout.trim()
    expect(path).toBe(join(dir, 'timelapse', 'same-time', '2026-11-at-1200.mp4'))
    expect(await probeVideo(path)).toMatchObject({ frames: 3, width: 160, height: 120, fps: '10/1' })

    const bad = await runFarm(['capture', '--rebuild', '--span', '2026-11', '--at', '3pm', '--dir', dir])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain("--at '3pm' is not valid: give a time of day as HH:MM")
    const none = await runFarm(['capture', '--rebuild', '--span', '2026-10', '--at', '12:00', '--dir', dir])
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toContain('no frame of 2026-10 was taken within 60 minutes of 12:00')
  })
})
