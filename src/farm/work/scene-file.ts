import { realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'
import { type JobBody, sceneFileProblem } from '../../ledger/index.ts'
import { FarmError } from '../errors.ts'

/**
 * The job's scene file inside its unpacked archive, checked again on the worker's disk: the
 * ledger's rule (a normalised relative path of the renderer's extension) and, after unpacking,
 * a regular file whose real path (through any link) stays inside the archive.
 */
export async function sceneFileIn(
  sceneDir: string,
  spec: Pick<JobBody, 'sceneFile' | 'renderer'>,
): Promise<string> {
  const problem = sceneFileProblem(spec.sceneFile, spec.renderer)
  if (problem !== undefined) throw FarmError.SCENE_PATH_REFUSED(spec.sceneFile, problem)
  const path = join(sceneDir, spec.sceneFile)
  const [root, real] = await Promise.all([realpath(sceneDir), realpath(path).catch(() => undefined)])
  if (real === undefined) throw FarmError.SCENE_PATH_REFUSED(spec.sceneFile, 'is not in the archive')
  const rel = relative(root, real)
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    throw FarmError.SCENE_PATH_REFUSED(spec.sceneFile, 'leads outside the archive')
  if (!(await stat(real)).isFile())
    throw FarmError.SCENE_PATH_REFUSED(spec.sceneFile, 'is not a regular file')
  return path
}
