import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { RenderError } from '../errors.ts'
import { TAIL_LINES, tailLines } from '../output.ts'
import { runRenderer } from '../renderer.ts'
import { BLENDER_DEPS_SCRIPT } from './blender-deps-script.ts'
import type { SceneDependency } from './dependency.ts'

interface TracedRef {
  kind: string
  name: string
  owner: string
  spelled: string
  path: string
  files: string[]
  directory: boolean
  optional: boolean
}

/** The line the worker-side check prints for each file a .blend needs and lacks. */
export const MISSING_MARK = 'FARM-MISSING: '

/**
 * Arguments that make a Blender render refuse to start when a file it needs is missing, naming
 * each (Cycles renders a missing image magenta and says nothing).
 */
export function blenderCheckArgs(workDir: string): string[] {
  return ['--python-exit-code', '3', '--python', join(workDir, SCRIPT_NAME)]
}

/**
 * Puts the script where blenderCheckArgs says: run from a file, not inline, so the command line
 * in a failure's message stays short enough to leave room for what Blender said.
 */
export async function writeBlenderCheck(workDir: string): Promise<void> {
  await writeFile(join(workDir, SCRIPT_NAME), BLENDER_DEPS_SCRIPT)
}

const SCRIPT_NAME = '.farm-blender-deps.py'

/**
 * Every external file `scene` uses, its linked libraries' files included, as Blender itself
 * resolves them. Blender only reads the file; nothing is written beside it.
 */
export async function traceBlender(
  scene: string,
  opts: { signal?: AbortSignal } = {},
): Promise<SceneDependency[]> {
  const work = await mkdtemp(join(tmpdir(), 'farm-trace-'))
  try {
    const out = join(work, 'trace.json')
    await runScript(scene, work, ['trace', out], opts.signal)
    const traced = JSON.parse(await readFile(out, 'utf8')) as { refs: TracedRef[] }
    return traced.refs.map((ref) => ({
      path: ref.path,
      files: ref.files,
      directory: ref.directory,
      optional: ref.optional,
      spelled: ref.spelled,
      why: `${ref.kind} "${ref.name}" in ${basename(ref.owner)} (${ref.spelled})`,
      owner: ref.owner,
    }))
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * Saves a copy of `blend` at `out` whose own references are changed as `mapping` says
 * (absolute path on this machine -> path Blender reads in the copy, e.g. `//_external/...`).
 * `blend` itself is never written.
 */
export async function remapBlender(
  blend: string,
  mapping: Record<string, string>,
  out: string,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'farm-remap-'))
  try {
    const map = join(work, 'map.json')
    await writeFile(map, JSON.stringify(mapping))
    await runScript(blend, work, ['remap', map, out], opts.signal)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

async function runScript(blend: string, work: string, args: string[], signal: AbortSignal | undefined) {
  await writeBlenderCheck(work)
  const run = await runRenderer(
    'blender',
    [
      '-b',
      '--factory-startup',
      '--disable-autoexec',
      '-noaudio',
      blend,
      ...blenderCheckArgs(work),
      '--',
      ...args,
    ],
    { cwd: dirname(blend), ...(signal ? { signal } : {}) },
  )
  if (run.exitCode !== 0)
    throw RenderError.SCENE_INVALID(blend, tailLines(run.output, TAIL_LINES), run.command)
}
