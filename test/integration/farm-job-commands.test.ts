import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { JobSummary } from '../../src/farm/index.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { farmJson, startCluster } from '../helpers/farm-cluster.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')

describe('the job commands', () => {
  it('say no node runs, and how to start one, with exit 2', async () => {
    const home = await tempDir()
    for (const args of [
      ['jobs'],
      ['status', 'abc'],
      ['workers'],
      ['fetch', 'abc'],
      ['cancel', 'abc'],
      ['logs', 'abc', '1'],
      ['credits'],
      ['submit', ORBIT, '--frames', '1-2'],
    ]) {
      const result = await runFarm([...args, '--home', home])
      expect(result.exitCode, args.join(' ')).toBe(2)
      expect(String(result.stderr)).toContain(
        `no farm node is running in ${home}: start one with \`farm join --home ${home}\``,
      )
    }
  })

  it('refuse an unknown job, a bad range and a missing scene with exit 2', async () => {
    const [node] = await startCluster(['solo'], { extraArgs: ['--no-render'] })
    const unknown = await runFarm(['status', 'deadbeef', '--home', node!.home])
    expect(unknown.exitCode).toBe(2)
    expect(String(unknown.stderr)).toContain("no job 'deadbeef'")
    for (const args of [
      ['fetch', 'deadbeef'],
      ['cancel', 'deadbeef'],
      ['logs', 'deadbeef', '3'],
    ]) {
      expect((await runFarm([...args, '--home', node!.home])).exitCode, args.join(' ')).toBe(2)
    }
    const badRange = await runFarm(['submit', ORBIT, '--frames', '9-2', '--home', node!.home])
    expect(badRange.exitCode).toBe(2)
    expect(String(badRange.stderr)).toMatch(/9-2/)
    const missing = await runFarm(['submit', '/nowhere/scene.pov', '--frames', '1-2', '--home', node!.home])
    expect(missing.exitCode).toBe(2)
    expect(String(missing.stderr)).toContain('scene /nowhere/scene.pov does not exist')
    const jobs = await farmJson<JobSummary[]>(node!, ['jobs'])
    expect(jobs).toEqual([])
  }, 120_000)
})
