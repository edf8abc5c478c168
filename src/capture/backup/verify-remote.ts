import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isDay } from '../days.ts'
import { CaptureError } from '../errors.ts'
import { frameDays } from '../layout.ts'
import { type DayManifest, readManifest } from '../manifest.ts'
import type { Redact } from '../redact.ts'
import { hashFile, type LocalFile, localFilesOf, statOf } from './local-files.ts'
import { RcloneRemote, type RemoteFile, type RemoteHash } from './rclone.ts'
import { dayOfPath, RemoteRecords } from './records.ts'

export interface RemoteProblem {
  /** Below the capture directory and the remote's root alike. */
  path: string
  /**
   * missing-remote: it should be on the remote (it is here, or a manifest records it) and is not.
   * differs: both have it, with another size or hash than the manifest's (or this disk's).
   * missing-local: the remote has it, this disk should (its day is not pruned) and does not.
   */
  problem: 'missing-remote' | 'differs' | 'missing-local'
  detail: string
}

export interface RemoteVerifyReport {
  /** The remote, its parameter values redacted. */
  remote: string
  /** The hash the remote keeps that farm compared with, null when it keeps none. */
  hash: RemoteHash | null
  days: number
  /** Files on both sides compared. */
  compared: number
  byHash: number
  /** Compared by size only: the remote keeps no hash and they were not in the downloaded sample. */
  bySize: number
  /** Downloaded and hashed here, for a remote that keeps no hash (or a file no longer on this disk). */
  downloaded: number
  problems: RemoteProblem[]
  /** Files of missing-remote or differs that are on this disk: the capture sends them again. */
  requeued: number
}

export interface VerifyRemoteInit {
  dir: string
  remote: string
  /** Files to download and hash when the remote cannot give a hash; 'all' for every one. */
  sample: number | 'all'
  redact: Redact
}

interface Expected {
  size: number
  /** Known without reading the file: a frame's, from its manifest. */
  sha256?: string
  local?: LocalFile
}

/** A day's files as the remote should hold them, from the manifest and this disk. */
function expectedOf(
  manifest: DayManifest | undefined,
  local: LocalFile[],
  day: string,
): Map<string, Expected> {
  const expected = new Map<string, Expected>()
  for (const frame of manifest?.frames ?? [])
    expected.set(`frames/${day}/${frame.file}`, { size: frame.size, sha256: frame.sha256 })
  for (const file of local) {
    const known = expected.get(file.path)
    // A frame on disk is compared with its manifest, as `farm capture verify` does with the disk.
    expected.set(
      file.path,
      known === undefined ? { size: file.size, local: file } : { ...known, local: file },
    )
  }
  return expected
}

/**
 * `farm capture verify --remote`: every file the manifests record and every file of the layout
 * on this disk, against what the remote holds, by size and by the remote's own hash where it
 * keeps one (sha256 against the manifests directly; md5 or sha1 against this disk), and by a
 * downloaded sample otherwise. Files that should be sent again are marked so in backup-remote/,
 * and a running capture picks them up after its next frame.
 */
export async function verifyRemote(init: VerifyRemoteInit): Promise<RemoteVerifyReport> {
  const records = new RemoteRecords(init.dir, init.remote)
  // Records of a remote the capture never sent to are not this check's to start.
  const known = await records.known()
  await mkdir(records.root, { recursive: true })
  const rclone = new RcloneRemote({ remote: init.remote, scratch: records.root, redact: init.redact })
  const unreachable = await rclone.probe()
  if (unreachable !== undefined)
    throw CaptureError.REMOTE_FAILED(rclone.shown, 'verify the backup', unreachable)
  const hash = rclone.hash
  const report: RemoteVerifyReport = {
    remote: rclone.shown,
    hash: hash ?? null,
    days: 0,
    compared: 0,
    byHash: 0,
    bySize: 0,
    downloaded: 0,
    problems: [],
    requeued: 0,
  }
  const problem = (path: string, kind: RemoteProblem['problem'], detail: string) =>
    report.problems.push({ path, problem: kind, detail })
  const videos = await rclone.list('timelapse')
  const days = new Set(await frameDays(init.dir))
  for (const sub of ['frames', 'thumbs']) for (const d of await rclone.folders(sub)) if (isDay(d)) days.add(d)
  for (const path of videos.keys()) {
    const day = /^timelapse\/(\d{4}-\d\d-\d\d)\.(?:mp4|jpg)$/.exec(path)?.[1]
    if (day !== undefined) days.add(day)
  }
  // Files whose content the remote cannot vouch for: sha256 expected, path.
  const unhashed: { path: string; sha256: () => Promise<string> }[] = []
  for (const day of [...days].sort()) {
    report.days++
    const manifest = await readManifest(init.dir, day)
    const pruned = manifest?.pruned === true
    const local = await localFilesOf(init.dir, day)
    const remote = new Map<string, RemoteFile>([
      ...(await rclone.list(`frames/${day}`)),
      ...(await rclone.list(`thumbs/${day}`)),
      ...[...videos].filter(([path]) => path.startsWith(`timelapse/${day}.`)),
    ])
    const expected = expectedOf(manifest, local, day)
    for (const [path, want] of expected) {
      const there = remote.get(path)
      if (there === undefined) {
        problem(
          path,
          'missing-remote',
          want.local
            ? `on disk here, not on ${rclone.shown}`
            : 'recorded in the manifest, on neither this disk nor the remote',
        )
        continue
      }
      if (want.local === undefined && !pruned) {
        problem(
          path,
          'missing-local',
          `recorded in the manifest and on the remote, not on disk here: rclone copyto REMOTE/${path} ${join(init.dir, path)}`,
        )
      }
      report.compared++
      if (there.size !== want.size) {
        problem(
          path,
          'differs',
          `${there.size} bytes on the remote, ${want.size} ${want.sha256 ? 'in the manifest' : 'here'}`,
        )
        continue
      }
      const sha256 = async () => want.sha256 ?? (await hashFile(join(init.dir, path))).sha256
      if (there.hash !== undefined && hash !== undefined && (hash === 'sha256' || want.local !== undefined)) {
        const mine = hash === 'sha256' ? await sha256() : (await hashFile(join(init.dir, path), hash)).remote!
        report.byHash++
        if (there.hash !== mine)
          problem(
            path,
            'differs',
            `${hash} ${there.hash.slice(0, 12)}... on the remote, ${mine.slice(0, 12)}... ${hash === 'sha256' && want.sha256 ? 'in the manifest' : 'here'}`,
          )
        continue
      }
      unhashed.push({ path, sha256 })
    }
    for (const path of remote.keys()) {
      if (expected.has(path)) continue
      // Pruned days keep their frames and thumbnails on the remote only: that is the point.
      if (pruned && !path.startsWith('timelapse/')) continue
      problem(
        path,
        'missing-local',
        `on the remote, not on disk here${manifest === undefined ? ' (no manifest for this day here)' : ''}`,
      )
    }
  }
  await checkSample(rclone, unhashed, init.sample, report, problem)
  if (known) report.requeued = await requeue(records, init.dir, report.problems)
  return report
}

async function checkSample(
  rclone: RcloneRemote,
  unhashed: { path: string; sha256: () => Promise<string> }[],
  sample: number | 'all',
  report: RemoteVerifyReport,
  problem: (path: string, kind: RemoteProblem['problem'], detail: string) => void,
): Promise<void> {
  const chosen = sample === 'all' ? unhashed : shuffled(unhashed).slice(0, sample)
  report.bySize += unhashed.length - chosen.length
  if (chosen.length === 0) return
  const sums = await rclone.downloadedSha256(chosen.map((c) => c.path))
  for (const { path, sha256 } of chosen) {
    const got = sums.get(path)
    if (got === undefined) {
      report.bySize++
      continue
    }
    report.downloaded++
    const want = await sha256()
    if (got !== want)
      problem(path, 'differs', `downloaded, sha256 ${got.slice(0, 12)}..., expected ${want.slice(0, 12)}...`)
  }
}

/** What is on this disk of missing-remote and differs goes back in the capture's queue. */
async function requeue(records: RemoteRecords, dir: string, problems: RemoteProblem[]): Promise<number> {
  const paths: string[] = []
  for (const p of problems) {
    if (p.problem !== 'missing-local' && (await statOf(dir, p.path)) !== undefined) paths.push(p.path)
  }
  await records.stale(paths)
  await records.requestRescan([...new Set(paths.map((p) => dayOfPath(p)!))])
  return paths.length
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
