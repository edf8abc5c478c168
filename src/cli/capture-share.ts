import { type PeerVerifyReport, verifyPeers } from '../farm/index.ts'

/**
 * `farm capture verify --peers`, loaded only when asked for, so a capture process without
 * --share never loads libp2p or LevelDB. Exit 0 when every frame has a backup on a peer.
 */
export async function verifyOnPeers(home: string, dir: string, json: boolean): Promise<number> {
  const report = await verifyPeers(home, dir)
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else printReport(report)
  return report.problems.length === 0 && report.backups.length > 0 ? 0 : 1
}

function printReport(report: PeerVerifyReport): void {
  const out = (line: string) => process.stdout.write(`${line}\n`)
  for (const p of report.problems) out(`${p.problem.padEnd(15)} ${p.day}/${p.file}: ${p.detail}`)
  const backups = report.backups.map((b) => `${b.name} (${b.held} of ${report.shared})`).join(', ')
  if (report.backups.length === 0) {
    out(
      `no connected peer keeps backups${report.others.length > 0 ? ` (connected: ${report.others.map((o) => o.name).join(', ')})` : ''}: run \`farm join --backup DIR\` or \`farm capture --share --backup DIR\` on another machine of the swarm`,
    )
  }
  out(
    `${report.local} frames recorded here, ${report.shared} shared; backups on ${backups || 'no peer'}; ${report.problems.length} ${report.problems.length === 1 ? 'problem' : 'problems'}`,
  )
}
