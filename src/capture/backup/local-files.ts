import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { FRAME_FILE, listNames } from '../layout.ts'
import type { RemoteHash } from './rclone.ts'

/** A file of the capture layout on this disk, named by its path below the capture directory. */
export interface LocalFile {
  path: string
  size: number
  mtimeMs: number
}

/** Everything of a day that goes to the remote: frames, manifest, thumbnails, video and picture. */
export async function localFilesOf(dir: string, day: string): Promise<LocalFile[]> {
  const paths = [
    ...(await listNames(join(dir, 'frames', day)))
      .filter((n) => FRAME_FILE.test(n) || n === 'manifest.json')
      .map((n) => `frames/${day}/${n}`),
    ...(await listNames(join(dir, 'thumbs', day)))
      .filter((n) => FRAME_FILE.test(n))
      .map((n) => `thumbs/${day}/${n}`),
    `timelapse/${day}.mp4`,
    `timelapse/${day}.jpg`,
  ]
  const files: LocalFile[] = []
  for (const path of paths) {
    const info = await statOf(dir, path)
    if (info !== undefined) files.push(info)
  }
  return files
}

export async function statOf(dir: string, path: string): Promise<LocalFile | undefined> {
  try {
    const info = await stat(join(dir, path))
    return info.isFile() ? { path, size: info.size, mtimeMs: info.mtimeMs } : undefined
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** sha256 of a file, and the remote's own hash of it when that is another, in one streaming read. */
export async function hashFile(
  path: string,
  also?: RemoteHash,
): Promise<{ sha256: string; remote?: string }> {
  const sha256 = createHash('sha256')
  const other = also !== undefined && also !== 'sha256' ? createHash(also) : undefined
  for await (const chunk of createReadStream(path)) {
    sha256.update(chunk as Buffer)
    other?.update(chunk as Buffer)
  }
  const hex = sha256.digest('hex')
  if (also === undefined) return { sha256: hex }
  return { sha256: hex, remote: other === undefined ? hex : other.digest('hex') }
}
