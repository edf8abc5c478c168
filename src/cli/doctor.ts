import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import {
  blenderDevices,
  detectFfmpeg,
  detectRenderers,
  type RendererInfo,
  type RendererPrograms,
  type SandboxReport,
  sandboxReport,
  type ToolInfo,
} from '../render/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'

const help = `Usage: farm doctor [--blender PATH]... [--povray PATH]... [--json]

Shows which renderers (POV-Ray, Blender) and tools (ffmpeg) this machine has, their versions,
the Cycles devices each Blender can render on, and the command that installs whatever is
missing; and whether the sandbox farm renders other people's scenes in (bubblewrap) works
here, and why not. Exits 1 when something is missing: a node without the sandbox renders only
its own jobs (unless \`farm join --unsafe-no-sandbox\`).

Options:
  --blender PATH  a Blender to look at instead of the one on PATH (as \`farm join --blender\`);
                  repeatable
  --povray PATH   the same for POV-Ray
  --json          print the findings as JSON

Examples:
  farm doctor
  farm doctor --blender blender --blender ~/blender-4.2/blender
`

interface Found extends RendererInfo {
  /** Cycles devices, for Blender. */
  devices?: string[]
}

function line(tool: ToolInfo & { program?: string; devices?: string[] }): string {
  if (!tool.installed)
    return `  missing  ${tool.name.padEnd(8)} ${tool.program ?? tool.name}: ${tool.installHint}`
  const where = tool.program !== undefined && tool.program !== tool.name ? ` (${tool.program})` : ''
  const devices = tool.devices?.length ? `  devices: ${tool.devices.join(', ')}` : ''
  return `  ok       ${tool.name.padEnd(8)} ${tool.version ?? '(version unknown)'}${where}${devices}`
}

function programs(flag: string, paths: string[] | undefined): string[] | undefined {
  if (!paths?.length) return undefined
  return paths.map((path) => {
    if (!path.includes('/')) return path
    if (!existsSync(resolve(path)))
      throw new UsageError(`farm doctor: --${flag} ${path}: no such file; give the path of its executable`)
    return resolve(path)
  })
}

function sandboxLines(sandbox: SandboxReport): string[] {
  if (!sandbox.ok)
    return [
      `  missing  bwrap    ${sandbox.problem}`,
      "           this node renders only its own jobs: other people's scenes need the sandbox",
    ]
  return [
    "  ok       bwrap    other people's scenes render with no network, no home, a read-only scene",
    `           process limit: ${sandbox.processLimit}`,
  ]
}

export const command: Command = {
  help,
  async run(argv) {
    const { values } = parseCommandArgs('doctor', argv, {
      json: { type: 'boolean' },
      blender: { type: 'string', multiple: true },
      povray: { type: 'string', multiple: true },
    })
    const asked: RendererPrograms = {}
    const blender = programs('blender', values.blender)
    const povray = programs('povray', values.povray)
    if (blender) asked.blender = blender
    if (povray) asked.povray = povray
    const [found, ffmpeg, sandbox] = await Promise.all([
      detectRenderers({ programs: asked }),
      detectFfmpeg(),
      sandboxReport(),
    ])
    const renderers: Found[] = await Promise.all(
      found.map(async (r) =>
        r.name === 'blender' && r.installed ? { ...r, devices: await blenderDevices(r.program) } : r,
      ),
    )
    const tools = [...renderers, ffmpeg]
    if (values.json)
      process.stdout.write(`${JSON.stringify({ renderers, tools: [ffmpeg], sandbox }, null, 2)}\n`)
    else
      process.stdout.write(
        [
          'Renderers:',
          ...renderers.map(line),
          'Tools:',
          line(ffmpeg),
          'Sandbox:',
          ...sandboxLines(sandbox),
          '',
        ].join('\n'),
      )
    return tools.every((tool) => tool.installed) && sandbox.ok ? 0 : 1
  },
}
