/**
 * The farm part's one error class. Callers branch on `code`; users read `message`, which names
 * the thing at fault and what to do. Codes caused by the user's own input carry exitCode 2.
 */
export class FarmError extends Error {
  readonly code: string
  readonly exitCode: number

  constructor(code: string, message: string, exitCode = 1) {
    super(message)
    this.name = 'FarmError'
    this.code = code
    this.exitCode = exitCode
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
      `job ${job.slice(0, 12)} was submitted by node ${owner}: only that node can cancel it`,
      2,
    )
  }

  static JOB_SETTLED(job: string, settled: string) {
    return new FarmError('JOB_SETTLED', `job ${job.slice(0, 12)} is already ${settled}: nothing to cancel`, 2)
  }

  static SCENE_FILE_NOT_FOUND(file: string) {
    return new FarmError(
      'SCENE_FILE_NOT_FOUND',
      `scene ${file} does not exist or is not a file: give the path of a .pov or .blend file`,
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
