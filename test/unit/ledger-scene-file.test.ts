import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sceneFileIn } from '../../src/farm/work/scene-file.ts'
import { bodyProblem } from '../../src/ledger/index.ts'
import { tempDir } from '../helpers/farm.ts'
import { jobBody } from '../helpers/farm-state.ts'

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'

describe("a job's sceneFile", () => {
  it('is refused by the ledger unless a normalised relative path of its renderer', () => {
    expect(bodyProblem('job', jobBody(PEER, { sceneFile: 'shots/intro.pov' }))).toBeUndefined()
    expect(bodyProblem('job', jobBody(PEER, { sceneFile: 'top.blend', renderer: 'blender' }))).toBeUndefined()
    const cases: [string, RegExp][] = [
      ['../../../../home/victim/x.pov', /normalised relative path/],
      ['/etc/x.pov', /absolute path/],
      ['a/./b.pov', /normalised/],
      ['a//b.pov', /normalised/],
      ['a\\..\\b.pov', /backslash/],
      ['x.blend', /does not end in \.pov/],
      ['x\n.pov', /control character/],
    ]
    for (const [sceneFile, why] of cases)
      expect(bodyProblem('job', jobBody(PEER, { sceneFile }))).toMatch(
        new RegExp(`sceneFile: .*${why.source}`),
      )
  })

  it('is refused by the worker when, unpacked, it is missing, not a file, or a link out of the archive', async () => {
    const root = await tempDir()
    const scene = join(root, 'scene')
    await mkdir(join(scene, 'dir.pov'), { recursive: true })
    await writeFile(join(scene, 'ok.pov'), 'sphere { 0, 1 }')
    await writeFile(join(root, 'private.pov'), 'secret')
    await symlink('../private.pov', join(scene, 'out.pov'))
    await symlink('ok.pov', join(scene, 'in.pov'))
    expect(await sceneFileIn(scene, { sceneFile: 'ok.pov', renderer: 'povray' })).toBe(join(scene, 'ok.pov'))
    expect(await sceneFileIn(scene, { sceneFile: 'in.pov', renderer: 'povray' })).toBe(join(scene, 'in.pov'))
    const refused = async (sceneFile: string) =>
      (await sceneFileIn(scene, { sceneFile, renderer: 'povray' }).catch(
        (e: Error & { code: string }) => e,
      )) as {
        code: string
        message: string
      }
    expect(await refused('out.pov')).toMatchObject({
      code: 'SCENE_PATH_REFUSED',
      message: /leads outside the archive/,
    })
    expect(await refused('dir.pov')).toMatchObject({ message: /not a regular file/ })
    expect(await refused('none.pov')).toMatchObject({ message: /not in the archive/ })
    expect(await refused('../private.pov')).toMatchObject({ message: /normalised relative path/ })
  })
})
