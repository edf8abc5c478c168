import type { FarmNode } from '../node.ts'
import { capturesInLedger } from './capture-entries.ts'
import { askCaptureHave } from './capture-have.ts'

/** A frame a local manifest records, and whether its file is on disk. */
export interface LocalFrame {
  day: string
  /** `HHmmss.jpg` */
  file: string
  sha256: string
  present: boolean
}

export interface PeerProblem {
  day: string
  file: string
  problem: 'not-shared' | 'missing-on-peer' | 'missing-locally'
  /** The peer lacking the copy (missing-on-peer). */
  peer?: string
  detail: string
}

export interface PeerVerifyReport {
  /** Frames in the local manifests (pruned days excluded). */
  local: number
  /** Frames this node announced with `capture` entries. */
  shared: number
  /** Connected peers that keep backups, and how many of the shared frames each holds. */
  backups: { id: string; name: string; held: number }[]
  /** Connected peers that keep no backups. */
  others: { id: string; name: string }[]
  problems: PeerProblem[]
}

/**
 * Compares the local manifests with the swarm: every recorded frame should be announced in this
 * node's feed, every announced frame should be on disk here (unless its day was pruned) and
 * held by each connected peer that keeps backups.
 */
export async function verifyOnPeers(
  node: FarmNode,
  local: LocalFrame[],
  prunedDays: ReadonlySet<string>,
): Promise<PeerVerifyReport> {
  const shared = new Map<string, string>()
  for await (const a of capturesInLedger(node.ledger, 'mine')) shared.set(`${a.day}/${a.time}.jpg`, a.hash)
  const problems: PeerProblem[] = []
  const recorded = new Set<string>()
  for (const frame of local) {
    const key = `${frame.day}/${frame.file}`
    recorded.add(key)
    if (!frame.present)
      problems.push({
        ...at(key),
        problem: 'missing-locally',
        detail: 'recorded in the manifest but not on disk',
      })
    if (shared.get(key) !== frame.sha256)
      problems.push({
        ...at(key),
        problem: 'not-shared',
        detail: 'no capture entry announces it: restart `farm capture --share` to offer it',
      })
  }
  for (const key of shared.keys()) {
    if (!recorded.has(key) && !prunedDays.has(key.slice(0, 10)))
      problems.push({
        ...at(key),
        problem: 'missing-locally',
        detail: 'announced to the swarm but in no local manifest',
      })
  }
  const names = node.ledger.state().nodes
  const nameOf = (id: string) => names[id]?.name ?? id
  const keys = [...shared.keys()].sort()
  const hashes = keys.map((k) => shared.get(k)!)
  const heldBy = new Map<string, string[]>()
  const report: PeerVerifyReport = {
    local: local.length,
    shared: shared.size,
    backups: [],
    others: [],
    problems,
  }
  for (const peer of node.swarm.peers()) {
    const held = await askCaptureHave(node.swarm, peer.id, hashes)
    if (held === undefined) {
      report.others.push({ id: peer.id, name: nameOf(peer.id) })
      continue
    }
    report.backups.push({ id: peer.id, name: nameOf(peer.id), held: held.filter(Boolean).length })
    keys.forEach((key, i) => {
      if (held[i]) heldBy.set(key, [...(heldBy.get(key) ?? []), nameOf(peer.id)])
      else
        problems.push({
          ...at(key),
          problem: 'missing-on-peer',
          peer: peer.id,
          detail: `no backup copy on ${nameOf(peer.id)} (${peer.id})`,
        })
    })
  }
  for (const p of problems) {
    const holders = heldBy.get(`${p.day}/${p.file}`)
    if (p.problem === 'missing-locally' && holders) p.detail += `; backup copies on ${holders.join(', ')}`
  }
  problems.sort((a, b) => `${a.day}/${a.file}`.localeCompare(`${b.day}/${b.file}`))
  return report
}

function at(key: string): { day: string; file: string } {
  return { day: key.slice(0, 10), file: key.slice(11) }
}
