import { existsSync } from 'node:fs'
import { extname } from 'node:path'
import { RenderError } from './errors.ts'
import { runProgram } from './process.ts'
import type { RendererName } from './renderer.ts'

export interface ToolInfo {
  name: string
  installed: boolean
  /** As the tool reports it, e.g. "3.7.0.10"; undefined when not installed. */
  version: string | undefined
  /** The command that installs it on this system. */
  installHint: string
}

export interface RendererInfo extends ToolInfo {
  name: RendererName
  /** The executable asked: `povray`/`blender` on PATH, or a path given (`farm join --blender PATH`). */
  program: string
}

/** Other installs to use instead of the renderers on PATH: renderer -> executables. */
export type RendererPrograms = Partial<Record<RendererName, readonly string[]>>

const VERSION_PATTERNS: Record<RendererName, RegExp> = {
  povray: /POV-Ray\s+(\d+(?:\.\d+)*)/,
  blender: /Blender\s+(\d+(?:\.\d+)*)/,
}

const PACKAGES: Record<string, { debian: string; other: string }> = {
  povray: { debian: 'povray', other: 'povray' },
  blender: { debian: 'blender', other: 'blender' },
  ffmpeg: { debian: 'ffmpeg', other: 'ffmpeg' },
}

export function installHint(tool: string): string {
  const pkg = PACKAGES[tool] ?? { debian: tool, other: tool }
  if (existsSync('/usr/bin/apt-get'))
    return `run \`sudo apt-get install ${pkg.debian}\` (or \`npm run setup\`).`
  if (process.platform === 'darwin') return `run \`brew install ${pkg.other}\`.`
  return `install the '${pkg.other}' package with your system's package manager.`
}

/** Asks a tool its version; a tool that prints one is installed even when it exits non-zero. */
async function probe(
  name: string,
  args: string[],
  pattern: RegExp,
  signal?: AbortSignal,
  program = name,
): Promise<ToolInfo> {
  const result = await runProgram(program, args, { timeoutMs: 30_000, ...(signal ? { signal } : {}) })
  signal?.throwIfAborted()
  const match = pattern.exec(result.output)
  return { name, installed: result.ok || match !== null, version: match?.[1], installHint: installHint(name) }
}

/**
 * Which renderers this machine has, with their versions: each renderer's `programs` when given
 * (several installs of one renderer are several entries), else the one on PATH.
 */
export async function detectRenderers(
  opts: { signal?: AbortSignal; programs?: RendererPrograms } = {},
): Promise<RendererInfo[]> {
  const asked = (['povray', 'blender'] as const).flatMap((name) =>
    (opts.programs?.[name] ?? [name]).map((program) => ({ name, program })),
  )
  return Promise.all(
    asked.map(async ({ name, program }) => ({
      ...(await probe(name, ['--version'], VERSION_PATTERNS[name], opts.signal, program)),
      name,
      program,
    })),
  )
}

/** Prints Cycles' device types that have a device in this Blender, one line. */
const DEVICE_PROBE = [
  'import _cycles',
  "found = ['CPU'] + [t for t in ('CUDA', 'OPTIX', 'HIP', 'METAL') if any(d[1] == t for d in _cycles.available_devices(t))]",
  "print('FARM-DEVICES: ' + ' '.join(found))",
].join('\n')

/** The Cycles devices (CPU, CUDA, OPTIX, HIP, METAL) a Blender can render on here; [] when it did not say. */
export async function blenderDevices(program = 'blender', signal?: AbortSignal): Promise<string[]> {
  const result = await runProgram(
    program,
    ['-b', '--factory-startup', '-noaudio', '--python-expr', DEVICE_PROBE],
    { timeoutMs: 60_000, ...(signal ? { signal } : {}) },
  )
  const line = /^FARM-DEVICES: (.*)$/m.exec(result.output)
  return line ? line[1]!.trim().split(/\s+/) : []
}

/** ffmpeg and ffprobe, which stitching needs. */
export async function detectFfmpeg(opts: { signal?: AbortSignal } = {}): Promise<ToolInfo> {
  return probe('ffmpeg', ['-version'], /ffmpeg version\s+(\S+)/, opts.signal)
}

/** The renderer a scene needs, by its file extension. */
export function rendererForScene(scenePath: string): RendererName {
  const ext = extname(scenePath).toLowerCase()
  if (ext === '.pov') return 'povray'
  if (ext === '.blend') return 'blender'
  throw RenderError.UNKNOWN_SCENE_TYPE(scenePath)
}
