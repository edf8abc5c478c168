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
  /** As the manifest names it: shown escaped, linked percent-encoded, never trusted. */
  file: string
  time: string
  hasThumb: boolean
}

/** A manifest's frame, kept only when its fields have the types the viewer reads. */
interface FrameView {
  file: string
  time: string
}

interface ManifestView {
  frames: FrameView[]
  missed: number
  pruned: boolean
  final: boolean
}

const DAY = /^\d{4}-\d{2}-\d{2}$/
const MONTH = /^\d{4}-\d{2}$/

export function isDayName(text: string): boolean {
  return DAY.test(text)
}

export function isMonthName(text: string): boolean {
  return MONTH.test(text) && Number(text.slice(5)) >= 1 && Number(text.slice(5)) <= 12
}

/** One path segment: a manifest naming `../x` must not make the viewer look outside the day's folders. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name)
}

async function names(path: string): Promise<string[]> {
  return readdir(path).catch(() => [])
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}

/** A manifest as the viewer may rely on it: anything of the wrong shape reads as absent. */
function manifestView(parsed: unknown): ManifestView {
  const m = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>
  const frames = Array.isArray(m.frames)
    ? m.frames.filter(
        (f): f is FrameView =>
          typeof f === 'object' &&
          f !== null &&
          typeof f.file === 'string' &&
          typeof f.time === 'string' &&
          isPlainName(f.file),
      )
    : []
  return {
    frames: frames.map((f) => ({ file: f.file, time: f.time })),
    missed: Array.isArray(m.missed) ? m.missed.length : 0,
    pruned: m.pruned === true,
    final: m.final === true,
  }
}

const parsed = new Map<string, { stamp: string; view: ManifestView }>()

// A year of one-a-minute captures is ~100 MB of manifests: parse each again only once it changed.
async function manifestOf(dir: string, day: string): Promise<ManifestView> {
  const path = join(dir, 'frames', day, 'manifest.json')
  const info = await stat(path).catch(() => undefined)
  if (info === undefined) return manifestView(undefined)
  const stamp = `${info.mtimeMs}:${info.size}:${info.ino}`
  const cached = parsed.get(path)
  if (cached?.stamp === stamp) return cached.view
  let view: ManifestView
  try {
    view = manifestView(JSON.parse(await readFile(path, 'utf8')))
  } catch {
    view = manifestView(undefined)
  }
  parsed.set(path, { stamp, view })
  return view
}

/** Every day with frames or a timelapse, oldest first. */
export async function dayNames(dir: string): Promise<string[]> {
  const days = new Set((await names(join(dir, 'frames'))).filter(isDayName))
  for (const name of await names(join(dir, 'timelapse'))) {
    if (name.endsWith('.mp4') && isDayName(name.slice(0, -4))) days.add(name.slice(0, -4))
  }
  return [...days].sort()
}

export async function daySummary(dir: string, day: string): Promise<DaySummary> {
  const manifest = await manifestOf(dir, day)
  const firstFile = manifest.frames[0]?.file
  let poster: string | undefined
  if (await isFile(join(dir, 'timelapse', `${day}.jpg`))) poster = `timelapse/${day}.jpg`
  else if (firstFile !== undefined && (await isFile(join(dir, 'thumbs', day, firstFile)))) {
    poster = `thumbs/${day}/${firstFile}`
  }
  return {
    day,
    frames: manifest.frames.length,
    missed: manifest.missed,
    pruned: manifest.pruned,
    final: manifest.final,
    hasTimelapse: await isFile(join(dir, 'timelapse', `${day}.mp4`)),
    poster,
  }
}

/** The summaries of one month's days that have captures, oldest first. */
export async function monthDays(dir: string, month: string, days?: string[]): Promise<DaySummary[]> {
  const inMonth = (days ?? (await dayNames(dir))).filter((d) => d.startsWith(`${month}-`))
  return Promise.all(inMonth.map((day) => daySummary(dir, day)))
}

export interface DayDetail {
  summary: DaySummary
  frames: DayFrame[]
  previous?: string
  next?: string
}

export async function dayDetail(dir: string, day: string): Promise<DayDetail | undefined> {
  const summary = await daySummary(dir, day)
  if (summary.frames === 0 && !summary.hasTimelapse) return undefined
  const manifest = await manifestOf(dir, day)
  const thumbs = new Set(await names(join(dir, 'thumbs', day)))
  const frames = summary.pruned
    ? []
    : manifest.frames.map((f) => ({ file: f.file, time: f.time, hasThumb: thumbs.has(f.file) }))
  const days = await dayNames(dir)
  const at = days.indexOf(day)
  return { summary, frames, previous: days[at - 1], next: days[at + 1] }
}

/** The newest recorded frame: what the "now" page shows and its event stream announces. */
export interface LatestFrame {
  day: string
  file: string
  /** ISO 8601 instant of the capture, as the manifest says. */
  time: string
  /** Bumps whenever the day's timelapse is rewritten, so a page can reload it. */
  timelapseStamp?: string
}

export async function latestFrame(dir: string): Promise<LatestFrame | undefined> {
  const days = (await names(join(dir, 'frames'))).filter(isDayName).sort().reverse()
  for (const day of days) {
    const last = (await manifestOf(dir, day)).frames.at(-1)
    if (last === undefined) continue
    const video = await stat(join(dir, 'timelapse', `${day}.mp4`)).catch(() => undefined)
    return {
      day,
      file: last.file,
      time: last.time,
      timelapseStamp: video === undefined ? undefined : `${Math.floor(video.mtimeMs)}-${video.size}`,
    }
  }
  return undefined
}
