import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { REPO_ROOT, tempDir } from './farm.ts'

const BLACKENS = join(REPO_ROOT, 'test', 'helpers', 'povray-blackens.sh')

/**
 * The environment of a cheating node: its `povray` (first on PATH) runs the real one, then
 * blackens every image; it claims the reference speed (FARM_WUPM=1).
 */
export async function blackeningEnv(): Promise<Record<string, string>> {
  const bin = join(await tempDir('farm-cheat-bin-'), 'bin')
  await mkdir(bin)
  await symlink(BLACKENS, join(bin, 'povray'))
  return { FARM_WUPM: '1', PATH: `${bin}:${process.env.PATH}` }
}
