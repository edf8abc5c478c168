import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** What the viewer shows of one day of captures, read from the layout `farm capture` writes. */
export interface DaySummary {
  day: string
  frames: number
  missed: number
  pruned: boolean
  final: boolean
  hasTimelapse: boolean
  /** URL path below the served root of the day's picture, if any. */
  poster?: string
}

export interface DayFrame {
  file: string
  time: string
  hasThumb: boolean
}

interface ManifestView {
  frames?: { file: string; time: string }[]
  missed?: unknown[]
  pruned?: boolean
  final?: boolean
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

async function names(path: string): Promise<string[]> {
  return readdir(path).catch(() => [])
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}

async function manifestOf(dir: string, day: string): Promise<ManifestView> {
  try {
    return JSON.parse(await readFile(join(dir, 'frames', day, 'manifest.json'), 'utf8')) as ManifestView
  } catch {
    return {}
  }
}

interface ManifestCounts {
  frames: number
  firstFile?: string
  missed: number
  pruned: boolean
  final: boolean
}

const counted = new Map<string, { stamp: string; counts: ManifestCounts }>()

// A year of one-a-minute captures is ~100 MB of manifests: parse each again only once it changed.
async function manifestCounts(dir: string, day: string): Promise<ManifestCounts> {
  const path = join(dir, 'frames', day, 'manifest.json')
  const info = await stat(path).catch(() => undefined)
  if (info === undefined) return { frames: 0, missed: 0, pruned: false, final: false }
  const stamp = `${info.mtimeMs}:${info.size}:${info.ino}`
  const cached = counted.get(path)
  if (cached?.stamp === stamp) return cached.counts
  const manifest = await manifestOf(dir, day)
  const counts: ManifestCounts = {
    frames: manifest.frames?.length ?? 0,
    firstFile: manifest.frames?.[0]?.file,
    missed: manifest.missed?.length ?? 0,
    pruned: manifest.pruned === true,
    final: manifest.final === true,
  }
  counted.set(path, { stamp, counts })
  return counts
}

export function isDayName(text: string): boolean {
  return DAY.test(text)
}

/** Every day with frames or a timelapse, newest first. */
export async function listDays(dir: string): Promise<DaySummary[]> {
  const days = new Set((await names(join(dir, 'frames'))).filter(isDayName))
  for (const name of await names(join(dir, 'timelapse'))) {
    if (name.endsWith('.mp4') && isDayName(name.slice(0, -4))) days.add(name.slice(0, -4))
  }
  const sorted = [...days].sort().reverse()
  return Promise.all(sorted.map((day) => daySummary(dir, day)))
}

async function daySummary(dir: string, day: string): Promise<DaySummary> {
  const counts = await manifestCounts(dir, day)
  let poster: string | undefined
  if (await exists(join(dir, 'timelapse', `${day}.jpg`))) poster = `timelapse/${day}.jpg`
  else if (counts.firstFile !== undefined && (await exists(join(dir, 'thumbs', day, counts.firstFile)))) {
    poster = `thumbs/${day}/${counts.firstFile}`
  }
  return {
    day,
    frames: counts.frames,
    missed: counts.missed,
    pruned: counts.pruned,
    final: counts.final,
    hasTimelapse: await exists(join(dir, 'timelapse', `${day}.mp4`)),
    poster,
  }
}

export async function dayDetail(
  dir: string,
  day: string,
): Promise<{ summary: DaySummary; frames: DayFrame[] } | undefined> {
  const summary = await daySummary(dir, day)
  if (summary.frames === 0 && !summary.hasTimelapse) return undefined
  const manifest = await manifestOf(dir, day)
  const thumbs = new Set(await names(join(dir, 'thumbs', day)))
  const frames = summary.pruned
    ? []
    : (manifest.frames ?? []).map((f) => ({ file: f.file, time: f.time, hasThumb: thumbs.has(f.file) }))
  return { summary, frames }
}
