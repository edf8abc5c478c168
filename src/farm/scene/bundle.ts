/**
 * What a job's scene is made of: its directory (minus .farmignore) and every file the renderer
 * says the scene reads, wherever it lives. Files outside the directory go under `_external/`
 * at their absolute path (so files beside each other stay beside each other), and the copies
 * of the files that name them are changed to point there: a remapped copy of a .blend (saved
 * by Blender), a rewritten copy of a .pov or .inc. The artist's files are only ever read.
 */
import { createHash } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { posix } from 'node:path/posix'
import {
  type FrameRange,
  type RendererName,
  remapBlender,
  type SceneDependency,
  traceBlender,
  tracePovray,
} from '../../render/index.ts'
import { FarmError } from '../errors.ts'
import { DEFAULT_MAX_ARCHIVE_BYTES, inside, planScene, type SceneEntry, type ScenePlan } from './archive.ts'
import { hashFile } from './manifest.ts'
import { BLOCK, MAX_ENTRY_SIZE, padding } from './ustar.ts'

/** The archive folder of files from outside the scene's directory. */
export const EXTERNAL_DIR = '_external'

/** Text a POV-Ray scene names files in: where its paths are rewritten. */
const POV_TEXT = /\.(pov|inc|mcr|mac|ini)$/i

export interface BundleOptions {
  renderer: RendererName
  animation: FrameRange
  /** POV-Ray library directories (+L) on this machine. */
  libraries?: string[]
  maxBytes?: number
  /** A directory for remapped and rewritten copies; the caller removes it. */
  staging: string
  /** Remapped .blend copies by what they were made from, so a resubmission packs the same bytes. */
  remapCache?: string
  /** How long tracing a POV-Ray scene may parse one frame (the job's frame timeout, when it has one). */
  traceTimeoutMs?: number
  signal?: AbortSignal
}

export interface BundleItem {
  /** Where it is in the archive. */
  path: string
  size: number
  /** Where it comes from and why it is packed. */
  why: string[]
  /** Packed as a copy with the paths it names changed (a remapped .blend, a rewritten .pov). */
  changed: boolean
}

export interface MissingFile {
  file: string
  why: string
}

export interface SceneBundle {
  plan: ScenePlan
  items: BundleItem[]
  missing: MissingFile[]
  /** POV-Ray library directories inside the archive, for +L on the worker. */
  libraries: string[]
  /** What the user should know about how complete the list is. */
  notes: string[]
}

/** Traces `scene` with its renderer and lists what its archive holds; throws nothing for missing files. */
export async function bundleScene(sceneFile: string, opts: BundleOptions): Promise<SceneBundle> {
  const scene = resolve(sceneFile)
  const dir = dirname(scene)
  const base = await planScene(dir, { maxBytes: Number.MAX_SAFE_INTEGER })
  const entries = new Map(base.entries.map((e) => [e.path, e]))
  const why = new Map<string, string[]>()
  const archivePath = (abs: string) =>
    inside(dir, abs)
      ? relative(dir, abs).split(sep).join('/')
      : `${EXTERNAL_DIR}/${abs.slice(1).split(sep).join('/')}`
  const missing: MissingFile[] = []

  const addFile = async (abs: string, reason: string): Promise<boolean> => {
    const info = await stat(abs).catch(() => undefined)
    if (!info?.isFile()) return false
    if (info.size > MAX_ENTRY_SIZE) throw FarmError.ARCHIVE_TOO_LARGE(abs, info.size, MAX_ENTRY_SIZE)
    const path = archivePath(abs)
    if (!entries.has(path))
      entries.set(path, {
        path,
        type: 'file',
        mode: info.mode & 0o111 ? 0o755 : 0o644,
        size: info.size,
        linkTarget: '',
        source: abs,
      })
    why.set(path, [...(why.get(path) ?? []), reason])
    return true
  }

  let dependencies: SceneDependency[]
  const libraries: string[] = []
  const notes: string[] = []
  if (opts.renderer === 'blender') dependencies = await traceBlender(scene, { signal: opts.signal })
  else {
    const trace = await tracePovray(scene, {
      animation: opts.animation,
      ...(opts.libraries ? { libraries: opts.libraries } : {}),
      ...(opts.traceTimeoutMs !== undefined ? { timeoutMs: opts.traceTimeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
    dependencies = trace.dependencies
    if (trace.untraced)
      notes.push(
        `${trace.untraced}: only the scene's directory is packed, not what it includes from elsewhere`,
      )
    for (const gap of trace.missing) missing.push({ file: gap.spelled, why: `named at ${gap.why}` })
  }

  for (const dep of dependencies) {
    if (dep.directory) {
      for (const file of await filesUnder(dep.path)) await addFile(file, dep.why)
      continue
    }
    for (const file of dep.files)
      if (!(await addFile(file, dep.why)) && !dep.optional) missing.push({ file, why: dep.why })
  }

  if (opts.renderer === 'blender') await remapBlends(dependencies, entries, archivePath, opts)
  else {
    for (const dep of dependencies)
      if (dep.library && dep.library !== dir && !libraries.includes(archivePath(dep.library)))
        libraries.push(archivePath(dep.library))
    await rewritePov(dependencies, entries, archivePath, opts.staging)
  }

  const sorted = [...entries.values()].sort((a, b) =>
    Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)),
  )
  let bytes = 2 * BLOCK
  for (const entry of sorted) bytes += BLOCK + entry.size + padding(entry.size)
  const limit = opts.maxBytes ?? DEFAULT_MAX_ARCHIVE_BYTES
  if (bytes > limit) throw FarmError.ARCHIVE_TOO_LARGE(sceneFile, bytes, limit)
  const items = sorted
    .filter((e) => e.type === 'file')
    .map((e) => ({
      path: e.path,
      size: e.size,
      why: why.get(e.path) ?? ['in the scene directory'],
      changed: e.source.startsWith(`${resolve(opts.staging)}${sep}`),
    }))
  return { plan: { dir, entries: sorted, bytes }, items, missing, libraries, notes }
}

/**
 * For each .blend whose references would break in the archive (an outside file, an absolute
 * path), packs a copy saved by Blender with them pointing where the archive has the files.
 */
async function remapBlends(
  dependencies: SceneDependency[],
  entries: Map<string, SceneEntry>,
  archivePath: (abs: string) => string,
  opts: BundleOptions,
) {
  const byOwner = new Map<string, Record<string, string>>()
  for (const dep of dependencies) {
    if (!dep.owner) continue
    const from = posix.dirname(archivePath(dep.owner))
    const wanted = `//${posix.relative(from, archivePath(dep.path))}`
    if (dep.spelled.replace(/\/+$/, '') === wanted) continue
    const mapping = byOwner.get(dep.owner) ?? {}
    mapping[dep.path] = wanted
    byOwner.set(dep.owner, mapping)
  }
  for (const [owner, mapping] of byOwner) {
    const entry = entries.get(archivePath(owner))
    if (!entry) continue
    const out = join(opts.staging, 'blend', entry.path)
    await mkdir(dirname(out), { recursive: true })
    const key = createHash('sha256')
      .update(await hashFile(owner))
      .update(JSON.stringify(Object.entries(mapping).sort()))
      .digest('hex')
    const cached = opts.remapCache ? join(opts.remapCache, `${key}.blend`) : undefined
    if (cached && (await stat(cached).catch(() => undefined))?.isFile()) await copyFile(cached, out)
    else {
      await remapBlender(owner, mapping, out, opts.signal ? { signal: opts.signal } : {})
      if (cached) {
        await mkdir(dirname(cached), { recursive: true })
        await copyFile(out, `${cached}.tmp`)
        await rename(`${cached}.tmp`, cached)
      }
    }
    entries.set(entry.path, { ...entry, source: out, size: (await stat(out)).size })
  }
}

/**
 * POV-Ray resolves a name against its working directory (the scene's) and then its library
 * path, never against the including file: a name that reaches outside the scene's directory,
 * or an absolute one, is rewritten to the file's place in the archive wherever it is quoted.
 */
async function rewritePov(
  dependencies: SceneDependency[],
  entries: Map<string, SceneEntry>,
  archivePath: (abs: string) => string,
  staging: string,
) {
  const renames = dependencies
    .filter((dep) => !dep.library && dep.spelled !== archivePath(dep.path))
    .map((dep) => ({ from: `"${dep.spelled}"`, to: `"${archivePath(dep.path)}"` }))
  if (renames.length === 0) return
  for (const entry of entries.values()) {
    if (entry.type !== 'file' || !POV_TEXT.test(entry.path)) continue
    const text = await readFile(entry.source, 'utf8')
    let changed = text
    for (const { from, to } of renames) changed = changed.split(from).join(to)
    if (changed === text) continue
    const out = join(staging, 'pov', entry.path)
    await mkdir(dirname(out), { recursive: true })
    await writeFile(out, changed)
    entries.set(entry.path, { ...entry, source: out, size: Buffer.byteLength(changed) })
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const listing = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return listing.filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name))
}
