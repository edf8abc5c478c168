import { callNode, formatCredits, type JobDetail, mismatchLines, shortJobId } from '../farm/index.ts'
import { type Command, parseCommandArgs, UsageError } from './command.ts'
import { resolveHome } from './home.ts'
import { estimateLines, failedLines, jobHeader, jobLine, printJson } from './job-output.ts'

export const command: Command = {
  help: `Usage: farm status [JOB] [--home DIR] [--json]
       farm status --health [--home DIR] [--json]

With a JOB id (or its first few characters): the job's progress, which frames are open,
claimed, rendered, verified or failed and by whom, and for failed frames the worker and the
renderer's own error. Without one: this node's id, name, addresses and peers, and its jobs.
With --health, a container's health check: one line, and exit 0 when the node is up and, after
a sync with every connected peer, holds every entry they hold; exit 1 with the reason otherwise
(not running, no peers although it knows members, a peer it could not sync with, behind).

Options:
  --home DIR   the node's home (default: $FARM_HOME or ~/.farm)
  --json       print JSON
  --health     check the node is up and in sync (exit 0) or say why not (exit 1)

Examples:
  farm status 3fa2c1
  farm status --json
  farm status --health || echo unhealthy
`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('status', argv, {
      home: { type: 'string' },
      json: { type: 'boolean' },
      health: { type: 'boolean' },
    })
    if (positionals.length > 1) throw new UsageError('farm status takes at most one job id')
    const home = resolveHome(values.home)
    if (values.health) {
      if (positionals.length > 0) throw new UsageError('farm status --health takes no job id')
      return health(home, values.json === true)
    }
    if (positionals[0] === undefined) {
      const node = await callNode(home, 'status')
      const jobs = await callNode(home, 'jobs')
      if (values.json) printJson({ ...node, jobs })
      else {
        process.stdout.write(
          `node ${node.name} (${node.owner}) ${node.id}\n${node.peers} peers; ${node.addresses.join(' ')}\n`,
        )
        if (jobs.length > 0) process.stdout.write(`${[jobHeader(), ...jobs.map(jobLine)].join('\n')}\n`)
      }
      return 0
    }
    const job = await callNode(home, 'job', { id: positionals[0] })
    if (values.json) {
      printJson(job)
      return 0
    }
    const p = job.progress
    const lines = [
      jobHeader(),
      jobLine(job),
      `frames ${job.first}-${job.last}: ${p.verified} verified, ${p.rendered} rendered, ${p.claimed} claimed, ${p.open} open, ${p.failed} failed`,
    ]
    const claimed = job.frames.filter((f) => f.status === 'claimed')
    if (claimed.length > 0)
      lines.push(`rendering: ${claimed.map((f) => `${f.frame} (${f.worker?.slice(-6)})`).join(', ')}`)
    lines.push(...estimateLines(job))
    lines.push(...failedLines(job.failed))
    lines.push(...verificationLines(job))
    if (job.video) lines.push(`video ${job.video}: \`farm fetch ${shortJobId(job.id)} -o video.mp4\``)
    process.stdout.write(`${lines.join('\n')}\n`)
    return job.status === 'failed' ? 1 : 0
  },
}

/** Price, budget and spending, how many frames were re-rendered to check, and every mismatch caught. */
function verificationLines(job: JobDetail): string[] {
  const v = job.verification
  const budget =
    v.budget === null ? '' : `, budget ${formatCredits(v.budget)} (${formatCredits(v.escrow)} left in escrow)`
  return [
    `price ${formatCredits(v.pricePerWU)} per WU${budget}; paid ${formatCredits(v.spent)}; ${v.checked} frames checked by re-rendering`,
    ...mismatchLines(v.mismatches),
  ]
}

/** Below the image's HEALTHCHECK timeout (20 s), so a stuck node reads as one, not as a killed check. */
const HEALTH_TIMEOUT_MS = 15_000

async function health(home: string, json: boolean): Promise<number> {
  const result = await callNode(home, 'health', {}, { timeoutMs: HEALTH_TIMEOUT_MS }).catch((err: Error) => ({
    healthy: false,
    reason: err.message.replace(/\s*\n\s*/g, ' '),
  }))
  if (json) printJson(result)
  else process.stdout.write(`${result.reason}\n`)
  return result.healthy ? 0 : 1
}
