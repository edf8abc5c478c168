import { createHash } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type DayManifest, type FrameRecord, readJpegInfo } from '../../src/capture/index.ts'

/** A frame record with made-up bytes, for pure tests that never read the file. */
export function fakeFrame(file: string, sha256 = file): FrameRecord {
  return { time: '', file, sha256, size: 1, width: 64, height: 48, brightness: 100 }
}

/**
 * Turns the JPEGs ffmpeg wrote as `raw0001.jpg`, `raw0002.jpg`... into frames/DAY as `farm
 * capture` leaves them (UTC): frame i taken `everySeconds * i` after midnight, named HHmmss.jpg,
 * recorded in the day's manifest with its real hash and size. Quicker by far than `count`
 * captures, for benches and tests that need a long day or a year.
 */
export async function recordRawFrames(opts: {
  dir: string
  day: string
  count: number
  everySeconds: number
  final?: boolean
}): Promise<FrameRecord[]> {
  const folder = join(opts.dir, 'frames', opts.day)
  const records: FrameRecord[] = []
  for (let i = 0; i < opts.count; i++) {
    const at = new Date(Date.parse(`${opts.day}T00:00:00Z`) + i * opts.everySeconds * 1000)
    const file = `${at.toISOString().slice(11, 19).replaceAll(':', '')}.jpg`
    await rename(join(folder, `raw${String(i + 1).padStart(4, '0')}.jpg`), join(folder, file))
    const bytes = await readFile(join(folder, file))
    const info = readJpegInfo(bytes)!
    records.push({
      time: at.toISOString(),
      file,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
      width: info.width,
      height: info.height,
      brightness: 128,
    })
  }
  const manifest: DayManifest = {
    version: 1,
    day: opts.day,
    timeZone: 'UTC',
    frames: records,
    missed: [],
    final: opts.final ?? true,
    pruned: false,
  }
  await writeFile(join(folder, 'manifest.json'), JSON.stringify(manifest))
  return records
}
