import {
  detectFfmpeg,
  detectRenderers,
  type SandboxReport,
  sandboxReport,
  type ToolInfo,
} from '../render/index.ts'
import { type Command, parseCommandArgs } from './command.ts'

const help = `Usage: farm doctor [--json]

Shows which renderers (POV-Ray, Blender) and tools (ffmpeg) this machine has, their versions,
and the command that installs whatever is missing; and whether the sandbox farm renders other
people's scenes in (bubblewrap) works here, and why not. Exits 1 when something is missing: a
node without the sandbox renders only its own jobs (unless \`farm join --unsafe-no-sandbox\`).

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
    const { values } = parseCommandArgs('doctor', argv, { json: { type: 'boolean' } })
    const [renderers, ffmpeg, sandbox] = await Promise.all([
      detectRenderers(),
      detectFfmpeg(),
      sandboxReport(),
    ])
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
