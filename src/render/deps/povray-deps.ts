import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, resolve, sep } from 'node:path'
import type { FrameRange } from '../frames.ts'
import { runProgram } from '../process.ts'
import type { SceneDependency } from './dependency.ts'

export interface PovrayTrace {
  dependencies: SceneDependency[]
  /** Files POV-Ray could not find, with where the scene names them (`s.pov line 6`). */
  missing: { spelled: string; why: string }[]
  /** Why nothing could be traced (no strace here, or it may not trace): only the directory is packed. */
  untraced?: string
}

/**
 * Where POV-Ray's own files live: its include directory (every worker with Debian's povray has
 * it), its configuration, and what the loader and the C library open. Never packed.
 */
const SYSTEM = ['/usr/share/povray-3.7/', '/etc/', '/proc/', '/sys/', '/dev/', '/run/', '/lib', '/usr/lib']

/**
 * How long one parse may take when the job sets no frame timeout. A trace parses at one pixel,
 * so a scene still parsing after this long loops (`#while (1)`) or builds far more than it
 * draws: the trace stops there and only the scene's directory is packed.
 */
export const TRACE_TIMEOUT_MS = 60_000

/**
 * Every file `scene` reads, found by parsing it with POV-Ray under strace and keeping each
 * file it opened for reading: #include, image_map, height_field, bump_map, #fopen, mesh and
 * font files, on the library path (`libraries`, as +L) or by the path the scene spells. The
 * first and last frames are parsed (a scene may read other files at other clock values), at
 * one pixel.
 */
export async function tracePovray(
  scene: string,
  opts: { libraries?: string[]; animation: FrameRange; signal?: AbortSignal; timeoutMs?: number },
): Promise<PovrayTrace> {
  const timeoutMs = opts.timeoutMs ?? TRACE_TIMEOUT_MS
  const dir = dirname(scene)
  const libraries = (opts.libraries ?? []).map((lib) => resolve(lib))
  const work = await mkdtemp(join(tmpdir(), 'farm-trace-'))
  const found = new Map<string, SceneDependency>()
  const missing = new Map<string, { spelled: string; why: string }>()
  try {
    const frames = [...new Set([opts.animation.first, opts.animation.last])]
    for (const [i, frame] of frames.entries()) {
      const log = join(work, `strace-${i}.log`)
      const run = await runProgram(
        'strace',
        [
          '-f',
          '-qq',
          '-xx',
          '-s',
          '65535',
          '-e',
          'trace=open,openat',
          '-o',
          log,
          'povray',
          `+I${scene}`,
          `+O${join(work, 'f.png')}`,
          '+FN',
          '-D',
          '-V',
          '-GS',
          '-GR',
          `+L${dir}`,
          ...libraries.map((lib) => `+L${lib}`),
          `+KFI${opts.animation.first}`,
          `+KFF${opts.animation.last}`,
          `+SF${frame}`,
          `+EF${frame}`,
          '+W1',
          '+H1',
          '-A',
        ],
        { cwd: dir, env: { LC_ALL: 'C' }, timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) },
      )
      if (run.timedOut)
        return {
          dependencies: [],
          missing: [],
          untraced: `POV-Ray was still parsing frame ${frame} after ${Math.round(timeoutMs / 1000)} s (a scene that never ends?)`,
        }
      if (run.spawnError?.code === 'ENOENT')
        return { dependencies: [], missing: [], untraced: 'strace is not installed (apt-get install strace)' }
      const refused = /^strace: .*$/m.exec(run.output)
      if (refused)
        return { dependencies: [], missing: [], untraced: `strace could not trace POV-Ray (${refused[0]})` }
      for (const gap of missingIn(run.output)) missing.set(`${gap.spelled}\u0000${gap.why}`, gap)
      const text = await readFile(log, 'utf8').catch(() => '')
      for (const spelled of openedForReading(text)) {
        const path = resolve(dir, spelled)
        if (
          path === resolve(scene) ||
          found.has(path) ||
          path.startsWith(`${work}${sep}`) ||
          SYSTEM.some((p) => path.startsWith(p))
        )
          continue
        const library = isAbsolute(spelled)
          ? libraries.find((lib) => path.startsWith(`${lib}${sep}`))
          : undefined
        const name = library ? path.slice(library.length + 1) : spelled
        found.set(path, {
          path,
          files: [path],
          directory: false,
          optional: false,
          spelled: name,
          why: library
            ? `read by POV-Ray as "${name}" from library ${library}`
            : `read by POV-Ray as "${spelled}"`,
          ...(library ? { library } : {}),
        })
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return { dependencies: [...found.values()], missing: [...missing.values()] }
}

/** Paths opened read-only with success, from `strace -xx` output (every string in hex). */
function openedForReading(log: string): string[] {
  const paths: string[] = []
  for (const line of log.split('\n')) {
    const match = /open(?:at)?\((?:AT_FDCWD, )?"((?:\\x[0-9a-f]{2})*)", ([A-Z_|]+)[^)]*\) = (\d+)/.exec(line)
    if (!match) continue
    const flags = match[2]!.split('|')
    if (!flags.includes('O_RDONLY') || flags.includes('O_DIRECTORY')) continue
    paths.push(Buffer.from(match[1]!.replace(/\\x/g, ''), 'hex').toString('utf8'))
  }
  return paths
}

/** POV-Ray's "Cannot find file" lines (wrapped at 80 columns, so newlines are taken out of names). */
function missingIn(output: string): { spelled: string; why: string }[] {
  const out: { spelled: string; why: string }[] = []
  const pattern = /File '([^']+)' line (\d+): (?:Possible )?Parse Error: Cannot find file '([^']*)'/g
  for (const match of output.matchAll(pattern)) {
    const spelled = match[3]!.replace(/\r?\n/g, '')
    out.push({ spelled, why: `${match[1]!.replace(/\r?\n/g, '')} line ${match[2]}` })
  }
  return out
}
