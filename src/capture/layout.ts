import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isDay } from './days.ts'

/** Where everything of a capture directory lives; the web viewer reads the same layout. */
export const framesDir = (dir: string, day: string) => join(dir, 'frames', day)
export const framePath = (dir: string, day: string, file: string) => join(dir, 'frames', day, file)
export const thumbPath = (dir: string, day: string, file: string) => join(dir, 'thumbs', day, file)
export const timelapsePath = (dir: string, day: string) => join(dir, 'timelapse', `${day}.mp4`)
export const posterPath = (dir: string, day: string) => join(dir, 'timelapse', `${day}.jpg`)
/** The live timelapse's segments of a day still being captured; gone once the day is final. */
export const segmentsDir = (dir: string, day: string) => join(dir, 'segments', day)

export const FRAME_FILE = /^\d{6}\.jpg$/

export async function listNames(path: string): Promise<string[]> {
  try {
    return await readdir(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

/** Days that have a frames folder, oldest first. */
export async function frameDays(dir: string): Promise<string[]> {
  return (await listNames(join(dir, 'frames'))).filter(isDay).sort()
}
