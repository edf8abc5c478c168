import { once } from 'node:events'
import { readdir, readFile, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { fileInside } from './safe-path.ts'
import { ZipWriter } from './zip.ts'

/** What `farm capture` names a frame; nothing else of a day folder goes into its archive. */
const FRAME_FILE = /^\d{6}\.jpg$/

/** The day's frames on disk, oldest first, each a regular file inside the capture directory. */
async function framesOnDisk(dir: string, day: string): Promise<string[]> {
  const names = await readdir(join(dir, 'frames', day)).catch(() => [] as string[])
  return names.filter((name) => FRAME_FILE.test(name)).sort()
}

/**
 * Streams `DAY.zip` with the day's frames as `DAY/HHmmss.jpg`. The manifest stays out: it is
 * served on its own, and what it may say is not the archive's to repeat. Returns false when
 * the day has no frames (404).
 */
export async function sendDayZip(
  req: IncomingMessage,
  res: ServerResponse,
  dir: string,
  day: string,
): Promise<boolean> {
  const files = await framesOnDisk(dir, day)
  if (files.length === 0) return false
  res.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Disposition': `attachment; filename="${day}.zip"`,
    'Cache-Control': 'no-cache',
  })
  if (req.method === 'HEAD') {
    res.end()
    return true
  }
  let closed = false
  res.once('close', () => {
    closed = true
  })
  const zip = new ZipWriter(async (chunk) => {
    if (closed) throw new Error('download cancelled')
    if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')])
  })
  try {
    for (const name of files) {
      const path = await fileInside(dir, ['frames', day, name])
      if (path === undefined) continue
      const [bytes, info] = await Promise.all([readFile(path), stat(path)])
      await zip.add(`${day}/${name}`, bytes, info.mtime)
    }
    await zip.finish()
    res.end()
  } catch {
    // The browser went away mid-download: there is no one left to tell.
    res.destroy()
  }
  return true
}
