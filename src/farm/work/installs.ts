import { type JobBody, rendererFits } from '../../ledger/index.ts'
import {
  type BlenderDevice,
  blenderDevices,
  detectRenderers,
  type RendererName,
  type RendererPrograms,
} from '../../render/index.ts'
import type { LogLevel } from '../events/events.ts'

/** One renderer executable this node renders with, and the version it reported. */
export interface RendererInstall {
  name: RendererName
  program: string
  version: string
}

export interface InstallOptions {
  /** Renderers this node may use (default: every one found). */
  renderers?: readonly RendererName[]
  /** Executables to use instead of those on PATH (`farm join --blender PATH --povray PATH`). */
  programs?: RendererPrograms
  /** Cycles' device: a Blender without it is not used. */
  blenderDevice?: BlenderDevice
}

/**
 * The installs this node renders with: each renderer's executables (or the one on PATH), those
 * that answer with a version, of the renderers it may use, and for Blender with the device asked.
 */
export async function findInstalls(
  opts: InstallOptions,
  log: (level: LogLevel, message: string) => void,
): Promise<RendererInstall[]> {
  const found = await detectRenderers(opts.programs ? { programs: opts.programs } : {})
  for (const info of found) {
    if (!info.installed && (opts.programs?.[info.name] || opts.renderers?.includes(info.name)))
      log(
        'warn',
        `${info.program} does not run as ${info.name} here: this node renders no ${info.name} jobs with it`,
      )
  }
  const usable = found.filter((r) => r.installed && (!opts.renderers || opts.renderers.includes(r.name)))
  const installs: RendererInstall[] = []
  for (const r of usable) {
    const install = { name: r.name, program: r.program, version: r.version ?? '' }
    const device = opts.blenderDevice
    if (r.name === 'blender' && device !== undefined && device !== 'CPU') {
      const devices = await blenderDevices(r.program)
      if (!devices.includes(device)) {
        log(
          'warn',
          `Blender ${install.version} (${r.program}) has no ${device} device (it has ${devices.join(', ') || 'none'}): this node renders no Blender jobs with it`,
        )
        continue
      }
    }
    installs.push(install)
  }
  return installs
}

/** The install that renders the job: the first of its renderer in a version the job takes. */
export function installFor(installs: readonly RendererInstall[], spec: JobBody): RendererInstall | undefined {
  return installs.find((install) => rendererFits(spec, install))
}

/** What the node announces in its `node` entry: each renderer and version once. */
export function announcedRenderers(
  installs: readonly RendererInstall[],
): { name: string; version: string }[] {
  const seen = new Set<string>()
  const out: { name: string; version: string }[] = []
  for (const { name, version } of installs) {
    if (seen.has(`${name} ${version}`)) continue
    seen.add(`${name} ${version}`)
    out.push({ name, version })
  }
  return out
}
