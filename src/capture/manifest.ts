import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** One saved frame, as recorded in its day's manifest. */
export interface FrameRecord {
  /** ISO 8601 instant of the capture. */
  time: string
  /** File name inside `frames/<day>/`, e.g. `143000.jpg`. */
  file: string
  sha256: string
  size: number
  width: number
  height: number
  /** Mean luma, 0-255. */
  brightness: number
}

/** A tick that produced no frame: why, so a gap in the timelapse can be explained. */
export interface MissRecord {
  time: string
  reason: 'error' | 'dark' | 'low-disk'
  message: string
}

export interface DayManifest {
  version: 1
  day: string
  timeZone: string
  frames: FrameRecord[]
  missed: MissRecord[]
  /** Set once the day is over and its timelapse built from every frame of it. */
  final: boolean
  /** Set when `--keep-days` removed the day's frames; the timelapse and this record stay. */
  pruned: boolean
}

export function emptyManifest(day: string, timeZone: string): DayManifest {
  return { version: 1, day, timeZone, frames: [], missed: [], final: false, pruned: false }
}

/** Records a frame, replacing one of the same file name (two captures in one second). */
export function withFrame(manifest: DayManifest, frame: FrameRecord): DayManifest {
  const frames = manifest.frames.filter((f) => f.file !== frame.file)
  frames.push(frame)
  frames.sort((a, b) => a.file.localeCompare(b.file))
  return { ...manifest, frames }
}

export function withMiss(manifest: DayManifest, miss: MissRecord): DayManifest {
  return { ...manifest, missed: [...manifest.missed, miss] }
}

export function manifestPath(dir: string, day: string): string {
  return join(dir, 'frames', day, 'manifest.json')
}

export async function readManifest(dir: string, day: string): Promise<DayManifest | undefined> {
  let text: string
  try {
    text = await readFile(manifestPath(dir, day), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return JSON.parse(text) as DayManifest
}

export async function writeManifest(dir: string, manifest: DayManifest): Promise<void> {
  await writeFileAtomic(manifestPath(dir, manifest.day), `${JSON.stringify(manifest, null, 1)}\n`)
}

export const TEMP_PREFIX = '.tmp-'

/** A sibling temp name: same filesystem so the rename is atomic; the prefix lets recovery find leftovers. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${path.split('/').pop()}`)
}

/**
 * Writes, syncs, then renames into place: after a power cut the name holds either the old
 * content or the whole new content, never a truncated file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = tempPathFor(path)
  try {
    const handle = await open(temp, 'w')
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
