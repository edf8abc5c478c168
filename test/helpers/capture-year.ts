import { link, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { addDays } from '../../src/capture/index.ts'
import { recordRawFrames } from './capture-day.ts'

/**
 * A year of captures as `farm capture --hourly` would leave it, made in seconds: 365 days of 24
 * small distinct test frames each, with their manifests (real hashes), thumbnails, a timelapse
 * and a picture per day. Thumbnails, videos and pictures are hard links (one tiny video for
 * every day): the viewer reads and serves them, it never decodes them.
 */
export async function captureYear(dir: string, opts: { year?: number; size?: string } = {}) {
  const first = `${opts.year ?? 2026}-01-01`
  const days = Array.from({ length: 365 }, (_, i) => addDays(first, i))
  const staging = join(dir, 'staging')
  await mkdir(staging, { recursive: true })
  const ffmpeg = (args: string[]) => execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args])
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${opts.size ?? '64x48'}:rate=24`,
    '-frames:v',
    String(days.length * 24),
    '-q:v',
    '5',
    join(staging, 'all%05d.jpg'),
  ])
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=64x48:rate=24',
    '-frames:v',
    '24',
    join(staging, 'day.mp4'),
  ])
  await mkdir(join(dir, 'timelapse'), { recursive: true })
  for (const [d, day] of days.entries()) {
    const folder = join(dir, 'frames', day)
    await mkdir(folder, { recursive: true })
    await mkdir(join(dir, 'thumbs', day), { recursive: true })
    for (let h = 0; h < 24; h++) {
      const raw = join(staging, `all${String(d * 24 + h + 1).padStart(5, '0')}.jpg`)
      await link(raw, join(folder, `raw${String(h + 1).padStart(4, '0')}.jpg`))
    }
    const frames = await recordRawFrames({ dir, day, count: 24, everySeconds: 3600 })
    for (const frame of frames) await link(join(folder, frame.file), join(dir, 'thumbs', day, frame.file))
    await link(join(staging, 'day.mp4'), join(dir, 'timelapse', `${day}.mp4`))
    await link(join(folder, frames[12]!.file), join(dir, 'timelapse', `${day}.jpg`))
  }
  return { days, frames: (await readdir(staging)).length - 1 }
}
