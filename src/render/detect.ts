import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { extname } from 'node:path'
import { RenderError } from './errors.ts'
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

/** Asks a tool its version. node:child_process, not execa: every node start probes, execa costs ~18 MB. */
async function probe(name: string, args: string[], pattern: RegExp, signal?: AbortSignal): Promise<ToolInfo> {
  const { failed, output } = await new Promise<{ failed: boolean; output: string }>((resolveRun) => {
    const child = execFile(
      name,
      args,
      { encoding: 'utf8', timeout: 30_000, ...(signal ? { signal } : {}) },
      (err, stdout, stderr) => resolveRun({ failed: err !== null, output: `${stdout}${stderr}` }),
    )
    child.stdin?.end()
  })
  signal?.throwIfAborted()
  const match = pattern.exec(output)
  return { name, installed: !failed || match !== null, version: match?.[1], installHint: installHint(name) }
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
  throw RenderError.unknownSceneType(scenePath)
}
