import { stat } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import { type CaptureLog, type FrameRecord, frameDays, framePath, readManifest } from '../../capture/index.ts'
import { callNode } from '../control/client.ts'
import { FarmError } from '../errors.ts'
import { FarmNode } from '../node.ts'
import { type Backup, startBackup } from './backup.ts'
import { CaptureShare, type SharedFrame } from './capture-share.ts'
import { type LocalFrame, type PeerVerifyReport, verifyOnPeers } from './capture-verify.ts'

/**
 * `farm capture --share` and `verify --peers`: a node inside the capture process that offers
 * every saved frame to the swarm, and the check of which peers keep copies of them.
 */

export interface Sharing {
  onSaved(day: string, frame: FrameRecord): Promise<void>
  onPruned(day: string, frames: FrameRecord[]): Promise<void>
  stop(): Promise<void>
}

/** Refuses a --backup that could be mistaken for (or mixed with) the capture directory itself. */
export function checkBackupDir(backup: string, dir: string): string {
  const b = resolve(backup)
  const inside = (a: string, root: string) => a === root || a.startsWith(root + sep)
  if (inside(b, dir) || inside(dir, b)) throw FarmError.BACKUP_OVERLAPS(b, dir)
  return b
}

/** Starts the node in `home` inside the capture process, offers every frame, and backs up others' when asked. */
export async function startSharing(opts: {
  home: string
  dir: string
  source: string
  backup?: string
  log: CaptureLog
}): Promise<Sharing> {
  const { dir, log } = opts
  // A camera's node renders nothing: the Pi's cores and memory are the capture's.
  const node = new FarmNode({ home: opts.home, noRender: true })
  node.on('event', (event) => {
    const who = (e: { peer: string; peerName?: string }) => e.peerName ?? e.peer
    if (event.type === 'peer:joined') log('info', `swarm: peer ${who(event)} joined`)
    else if (event.type === 'peer:left') log('info', `swarm: peer ${who(event)} left`)
    else if (event.type === 'log' && (event.level === 'warn' || event.level === 'error'))
      log(event.level, `swarm: ${event.message}`)
  })
  node.handle('capture:verify-peers', async (params) => verifyReport(node, params.dir))
  await node.start()
  log('info', `sharing captures on the swarm as node ${node.swarm.id} (home ${opts.home})`)
  const share = new CaptureShare({
    node,
    pathOf: (frame) => framePath(dir, frame.day, frame.file),
    source: opts.source,
    log,
  })
  let backup: Backup | undefined
  try {
    if (opts.backup !== undefined) backup = await startBackup(node, opts.backup, { log })
  } catch (err) {
    await node.stop()
    throw err
  }
  const caughtUp = localFrames(dir)
    .then(({ shared }) => share.catchUp(shared))
    .then(
      (count) => count > 0 && log('info', `shared ${count} frames saved before this start`),
      (err: Error) => log('error', `could not offer the frames saved before this start: ${err.message}`),
    )
  return {
    onSaved: async (day, frame) => {
      await share.announce(sharedFrame(day, frame))
    },
    onPruned: (day, frames) => share.forget(frames.map((f) => sharedFrame(day, f))),
    stop: async () => {
      await caughtUp
      await backup?.stop()
      await node.stop()
    },
  }
}

function sharedFrame(day: string, f: FrameRecord): SharedFrame {
  return { day, file: f.file, sha256: f.sha256, size: f.size, width: f.width, height: f.height }
}

/** The frames the manifests under `dir` record, with whether each file is whole on disk. */
async function localFrames(
  dir: string,
): Promise<{ local: LocalFrame[]; shared: SharedFrame[]; pruned: Set<string> }> {
  const local: LocalFrame[] = []
  const shared: SharedFrame[] = []
  const pruned = new Set<string>()
  for (const day of await frameDays(dir)) {
    const manifest = await readManifest(dir, day)
    if (manifest === undefined) continue
    if (manifest.pruned) {
      pruned.add(day)
      continue
    }
    for (const f of manifest.frames) {
      const info = await stat(framePath(dir, day, f.file)).catch(() => undefined)
      const present = info?.isFile() === true && info.size === f.size
      local.push({ day, file: f.file, sha256: f.sha256, present })
      if (present) shared.push(sharedFrame(day, f))
    }
  }
  return { local, shared, pruned }
}

async function verifyReport(node: FarmNode, dir: string): Promise<PeerVerifyReport> {
  const { local, pruned } = await localFrames(dir)
  return verifyOnPeers(node, local, pruned)
}

const PEER_WAIT_MS = 5000

/**
 * Asks the capture process running in `home` (it holds the node), or, when none runs, starts
 * the node just long enough to ask the peers it reaches.
 */
export async function verifyPeers(home: string, dir: string): Promise<PeerVerifyReport> {
  try {
    return await callNode(home, 'capture:verify-peers', { dir }, { timeoutMs: 120_000 })
  } catch (err) {
    if (!(err instanceof FarmError)) throw err
    if (err.code === 'UNKNOWN_METHOD') throw FarmError.NOT_SHARING(home)
    if (err.code !== 'NODE_NOT_RUNNING') throw err
    return withNode(home, (node) => verifyReport(node, dir))
  }
}

async function withNode<T>(home: string, fn: (node: FarmNode) => Promise<T>): Promise<T> {
  const node = new FarmNode({ home, noRender: true })
  await node.start()
  try {
    await node.swarm.waitForPeer({ signal: AbortSignal.timeout(PEER_WAIT_MS) })
    return await fn(node)
  } finally {
    await node.stop()
  }
}
