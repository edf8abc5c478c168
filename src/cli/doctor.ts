import { detectFfmpeg, detectRenderers, type ToolInfo } from '../render/index.ts'
import { type Command, parseCommandArgs } from './command.ts'

const help = `Usage: farm doctor [--json]

Shows which renderers (POV-Ray, Blender) and tools (ffmpeg) this machine has, their versions,
and the command that installs whatever is missing. Exits 1 when something is missing.

Options:
  --json   print the findings as JSON

Example:
  farm doctor
`

function line(tool: ToolInfo): string {
  return tool.installed
    ? `  ok       ${tool.name.padEnd(8)} ${tool.version ?? '(version unknown)'}`
    : `  missing  ${tool.name.padEnd(8)} ${tool.installHint}`
}

export const command: Command = {
  help,
  async run(argv) {
    const { values } = parseCommandArgs('doctor', argv, { json: { type: 'boolean' } })
    const [renderers, ffmpeg] = await Promise.all([detectRenderers(), detectFfmpeg()])
    const tools = [...renderers, ffmpeg]
    if (values.json) process.stdout.write(`${JSON.stringify({ renderers, tools: [ffmpeg] }, null, 2)}\n`)
    else process.stdout.write(['Renderers:', ...renderers.map(line), 'Tools:', line(ffmpeg), ''].join('\n'))
    return tools.every((tool) => tool.installed) ? 0 : 1
  },
}
