import { realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'

/**
 * The decoded URL path segments as a regular file inside `root`, or undefined. Segments are
 * checked after percent-decoding (so `%2e%2e` and `%2f` cannot climb), and the resolved file's
 * real path must still be inside the root's, so a symlink pointing out is refused too.
 */
export async function fileInside(root: string, rawSegments: string[]): Promise<string | undefined> {
  const segments: string[] = []
  for (const raw of rawSegments) {
    let segment: string
    try {
      segment = decodeURIComponent(raw)
    } catch {
      return undefined
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return undefined
    segments.push(segment)
  }
  if (segments.length === 0) return undefined
  try {
    const realRoot = await realpath(root)
    const real = await realpath(join(realRoot, ...segments))
    if (!real.startsWith(realRoot + sep)) return undefined
    return (await stat(real)).isFile() ? real : undefined
  } catch {
    return undefined
  }
}
