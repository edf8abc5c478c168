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
async function probe(name: string, args: string[], pattern: RegExp, signal?: AbortSignal): Promise<ToolInfo> {
  const result = await runProgram(name, args, { timeoutMs: 30_000, ...(signal ? { signal } : {}) })
  signal?.throwIfAborted()
  const match = pattern.exec(result.output)
  return { name, installed: result.ok || match !== null, version: match?.[1], installHint: installHint(name) }
}

/** Which renderers this machine has, with their versions. */
export async function detectRenderers(opts: { signal?: AbortSignal } = {}): Promise<RendererInfo[]> {
  const [pov, blend] = await Promise.all([
    probe('povray', ['--version'], /POV-Ray\s+(\d+(?:\.\d+)*)/, opts.signal),
    probe('blender', ['--version'], /Blender\s+(\d+(?:\.\d+)*)/, opts.signal),
  ])
  return [
    { ...pov, name: 'povray' },
    { ...blend, name: 'blender' },
  ]
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
