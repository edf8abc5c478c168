import { shortJobId } from '../ledger/index.ts'

/**
 * The farm part's one error class. Callers branch on `code`; users read `message`, which names
 * the thing at fault and what to do. Codes caused by the user's own input carry exitCode 2.
 * Every error is made by the factory of its code.
 */
const FARM_ERROR_CODES = [
  'NODE_NOT_RUNNING',
  'NODE_RUNNING',
  'NODE_TIMEOUT',
  'NODE_GONE',
  'NODE_FAILED',
  'NOT_INITIALISED',
  'NOT_STARTED',
  'WRONG_SWARM',
  'HOME_IN_USE',
  'NOT_JOINED',
  'BAD_CONFIG',
  'BAD_REQUEST',
  'UNKNOWN_METHOD',
  'SCENE_NOT_FOUND',
  'ARCHIVE_TOO_LARGE',
  'PATH_TOO_LONG',
  'LINK_OUTSIDE_SCENE',
  'UNSUPPORTED_FILE',
  'FILE_CHANGED',
  'BAD_ARCHIVE',
  'UNSAFE_ARCHIVE_ENTRY',
  'UNKNOWN_JOB',
  'NOT_JOB_OWNER',
  'NOT_NODE_OWNER',
  'JOB_SETTLED',
  'SCENE_FILE_NOT_FOUND',
  'SCENE_FILES_MISSING',
  'BAD_JOB',
  'UNKNOWN_STITCHER',
  'SANDBOX_NOT_EMPTY',
  'SCENE_PATH_REFUSED',
  'HASH_MISMATCH',
  'BAD_PEER_ANSWER',
  'BACKUP_OVERLAPS',
  'NOT_SHARING',
  'NO_GENESIS',
  'GENESIS_MISMATCH',
  'INVITE_REFUSED',
  'NOT_ADMIN',
  'UNKNOWN_NODE',
  'CANNOT_REMOVE',
  'NOT_FOUNDER',
] as const

export type FarmErrorCode = (typeof FARM_ERROR_CODES)[number]

export class FarmError extends Error {
  readonly code: FarmErrorCode
  readonly exitCode: number

  private constructor(code: FarmErrorCode, message: string, exitCode = 1) {
    super(message)
    this.name = 'FarmError'
    this.code = code
    this.exitCode = exitCode
  }

  /**
   * An error the node answered a control call with, raised again in the calling command: a
   * farm code stays itself; another part's (the ledger's, a renderer's) becomes NODE_FAILED
   * with the node's message and exit code.
   */
  static fromNode(error: { code: string; message: string; exitCode: number }) {
    const code = (FARM_ERROR_CODES as readonly string[]).includes(error.code)
      ? (error.code as FarmErrorCode)
      : 'NODE_FAILED'
    return new FarmError(code, error.message, error.exitCode)
  }

  static NODE_TIMEOUT(home: string, method: string) {
    return new FarmError(
      'NODE_TIMEOUT',
      `the node in ${home} did not answer '${method}' in time: is it stuck?`,
    )
  }

  static NODE_GONE(home: string, method: string) {
    return new FarmError(
      'NODE_GONE',
      `the node in ${home} closed the control socket before answering '${method}'`,
    )
  }

  static NOT_INITIALISED(home: string) {
    return new FarmError(
      'NOT_INITIALISED',
      `${home} is not a farm node home: run \`farm init --home ${home}\` for a new swarm, or \`farm join <invite> --home ${home}\``,
      2,
    )
  }

  static NO_GENESIS(home: string) {
    return new FarmError(
      'NO_GENESIS',
      `${home} has no signed genesis (it was made by a farm from before signed membership), so it cannot tell members from strangers: make a new swarm with \`farm init\`, or join one with a new invite in a new --home`,
      2,
    )
  }

  static GENESIS_MISMATCH(home: string) {
    return new FarmError(
      'GENESIS_MISMATCH',
      `${home}/swarm.key is not the key of ${home}/genesis (the key is derived from the founder's signature): restore both from the same backup, or join again with an invite in a new --home`,
      2,
    )
  }

  /** A member refused the invite this node presented: `why` is the member's own message. */
  static INVITE_REFUSED(peer: string, why: string) {
    return new FarmError('INVITE_REFUSED', `${why} (refused by member ${peer})`, 2)
  }

  static NOT_ADMIN(what: string) {
    return new FarmError(
      'NOT_ADMIN',
      `${what}: only the swarm's founder, or a member the founder admitted with \`farm admit NODE --admin\`, may do that`,
      2,
    )
  }

  static UNKNOWN_NODE(ref: string, why: string) {
    return new FarmError(
      'UNKNOWN_NODE',
      `no single node is '${ref}' (${why}): give its peer id (\`farm workers\` and \`farm peers\` list them) or its unique name`,
      2,
    )
  }

  static NOT_FOUNDER(home: string, founder: string) {
    return new FarmError(
      'NOT_FOUNDER',
      `${home} is not the home of the swarm's founder (${founder}): only the founder signs a new genesis, so run \`farm rekey\` there`,
      2,
    )
  }

  static CANNOT_REMOVE(node: string, why: string) {
    return new FarmError('CANNOT_REMOVE', `${node} cannot be removed: ${why}`, 2)
  }

  static NOT_STARTED() {
    return new FarmError('NOT_STARTED', 'the node is not started: call start() first')
  }

  static WRONG_SWARM(home: string) {
    return new FarmError(
      'WRONG_SWARM',
      `${home} belongs to another swarm than this invite: use another --home for this swarm, or run \`farm join --home ${home}\` without an invite`,
      2,
    )
  }

  static HOME_IN_USE(home: string) {
    return new FarmError(
      'HOME_IN_USE',
      `${home} already holds a farm node: start it with \`farm join --home ${home}\`, or print an invite with \`farm invite --home ${home}\``,
      2,
    )
  }

  static NOT_JOINED(home: string) {
    return new FarmError(
      'NOT_JOINED',
      `${home} has not joined a swarm: run \`farm join <invite> --home ${home}\` with an invite from a member, or \`farm init --home ${home}\` for a new swarm`,
      2,
    )
  }

  static BAD_CONFIG(file: string, reason: string) {
    return new FarmError('BAD_CONFIG', `${file} ${reason}: fix or remove it`, 2)
  }

  static BAD_REQUEST(reason: string) {
    return new FarmError('BAD_REQUEST', `the node refused the request: ${reason}`, 2)
  }

  static HASH_MISMATCH(what: string, got: string, expected: string, whose: string) {
    return new FarmError(
      'HASH_MISMATCH',
      `${what} hashes to ${got.slice(0, 12)}..., ${whose} says ${expected.slice(0, 12)}...`,
    )
  }

  static BAD_PEER_ANSWER(peer: string, protocol: string, why?: unknown) {
    return new FarmError(
      'BAD_PEER_ANSWER',
      `peer ${peer} answered ${protocol} with nonsense${why ? `: ${String(why)}` : ''}`,
    )
  }

  static NOT_SHARING(home: string) {
    return new FarmError(
      'NOT_SHARING',
      `farm capture verify --peers: the node running in ${home} is not a \`farm capture --share\` process; run verify --peers while \`farm capture --share --home ${home}\` runs, or with no node running in ${home}.`,
      2,
    )
  }

  static BACKUP_OVERLAPS(backup: string, dir: string) {
    return new FarmError(
      'BACKUP_OVERLAPS',
      `farm capture: --backup ${backup} overlaps --dir ${dir}. --backup is where this node keeps copies of the frames OTHER nodes share; this node's own frames stay in --dir and reach the swarm with --share. Give a separate directory, e.g. --backup /mnt/usb/farm-backups.`,
      2,
    )
  }

  static NODE_NOT_RUNNING(home: string) {
    return new FarmError(
      'NODE_NOT_RUNNING',
      `no farm node is running in ${home}: start one with \`farm join --home ${home}\``,
      2,
    )
  }

  static NODE_RUNNING(home: string) {
    return new FarmError(
      'NODE_RUNNING',
      `a farm node is already running in ${home}: stop it first, or use another --home`,
      2,
    )
  }

  static UNKNOWN_METHOD(method: string) {
    return new FarmError(
      'UNKNOWN_METHOD',
      `the node does not know '${method}': is it an older farm? restart it`,
      2,
    )
  }

  static SCENE_NOT_FOUND(dir: string) {
    return new FarmError('SCENE_NOT_FOUND', `scene directory ${dir} does not exist or is not a directory`, 2)
  }

  static ARCHIVE_TOO_LARGE(dir: string, bytes: number, limit: number) {
    return new FarmError(
      'ARCHIVE_TOO_LARGE',
      `the scene archive of ${dir} would be ${formatBytes(bytes)}, over the limit of ${formatBytes(limit)}: ` +
        'list what the render does not need (caches, renders, backups) in a .farmignore, or raise the limit',
      2,
    )
  }

  static PATH_TOO_LONG(path: string) {
    return new FarmError(
      'PATH_TOO_LONG',
      `${path} is too long a path for a scene archive (at most 255 bytes, 100 after the last /): shorten or move it`,
      2,
    )
  }

  static LINK_OUTSIDE_SCENE(path: string, target: string) {
    return new FarmError(
      'LINK_OUTSIDE_SCENE',
      `${path} links to ${target}, which is not inside the scene directory: other machines would not have it; ` +
        'copy the file into the scene, or list the link in .farmignore',
      2,
    )
  }

  static UNSUPPORTED_FILE(path: string) {
    return new FarmError(
      'UNSUPPORTED_FILE',
      `${path} is neither a file, a directory nor a link (a socket, pipe or device): remove it or list it in .farmignore`,
      2,
    )
  }

  static FILE_CHANGED(path: string) {
    return new FarmError(
      'FILE_CHANGED',
      `${path} changed while the scene was being packed: submit again once it is saved`,
    )
  }

  static BAD_ARCHIVE(reason: string) {
    return new FarmError('BAD_ARCHIVE', `the scene archive is damaged: ${reason}; fetch it again`)
  }

  static UNSAFE_ARCHIVE_ENTRY(path: string, reason: string) {
    return new FarmError(
      'UNSAFE_ARCHIVE_ENTRY',
      `refused scene archive entry ${JSON.stringify(path)}: ${reason}`,
    )
  }

  static UNKNOWN_JOB(id: string) {
    return new FarmError(
      'UNKNOWN_JOB',
      `no job '${id}' in this node's ledger (or the prefix matches several): list them with \`farm jobs\``,
      2,
    )
  }

  static NOT_JOB_OWNER(job: string, owner: string) {
    return new FarmError(
      'NOT_JOB_OWNER',
      `job ${shortJobId(job)} was submitted by node ${owner}: only that node can cancel it`,
      2,
    )
  }

  static NOT_NODE_OWNER(node: string, owner: string, self: string) {
    return new FarmError(
      'NOT_NODE_OWNER',
      `node ${node} belongs to ${owner}, not ${self}: an owner switches only their own nodes (run it on one of ${owner}'s)`,
      2,
    )
  }

  static JOB_SETTLED(job: string, settled: string) {
    return new FarmError('JOB_SETTLED', `job ${shortJobId(job)} is already ${settled}: nothing to cancel`, 2)
  }

  static SCENE_FILE_NOT_FOUND(file: string) {
    return new FarmError(
      'SCENE_FILE_NOT_FOUND',
      `scene ${file} does not exist or is not a file: give the path of a .pov or .blend file`,
      2,
    )
  }

  /** Each file the scene needs and this machine lacks, with where the scene refers to it. */
  static SCENE_FILES_MISSING(scene: string, missing: { file: string; why: string }[]) {
    const lines = missing.map((m) => `  ${m.file}: ${m.why}`).join('\n')
    return new FarmError(
      'SCENE_FILES_MISSING',
      `scene ${scene} needs ${missing.length === 1 ? 'a file that does' : `${missing.length} files that do`} not exist:\n${lines}\nput ${missing.length === 1 ? 'it' : 'them'} back, fix the paths in the scene, or submit with --allow-missing`,
      2,
    )
  }

  static BAD_JOB(reason: string) {
    return new FarmError('BAD_JOB', `cannot submit this job: ${reason}`, 2)
  }

  static UNKNOWN_STITCHER(peer: string) {
    return new FarmError(
      'UNKNOWN_STITCHER',
      `--stitcher ${peer} is not a node of this swarm: give \`self\` or a peer id from \`farm workers\``,
      2,
    )
  }

  /** A job whose sceneFile leaves its archive or is not a regular file of its renderer: nothing is rendered. */
  static SCENE_PATH_REFUSED(sceneFile: string, why: string) {
    return new FarmError(
      'SCENE_PATH_REFUSED',
      `refused the job's scene file ${JSON.stringify(sceneFile)}: it ${why}; a job names a file inside its own archive`,
    )
  }

  static SANDBOX_NOT_EMPTY(dir: string) {
    return new FarmError(
      'SANDBOX_NOT_EMPTY',
      `${dir} already has files in it: a scene is unpacked only into a new or empty directory`,
    )
  }
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`
}
