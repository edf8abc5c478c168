import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFarm, tempDir } from '../helpers/farm.ts'

describe('farm doctor', () => {
  it('lists the renderers and ffmpeg with their versions', async () => {
    const result = await runFarm(['doctor'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/ok +povray +3\.7/)
    expect(result.stdout).toMatch(/ok +blender +\d+\.\d+/)
    expect(result.stdout).toMatch(/ok +ffmpeg +\d/)
    expect(result.stdout).toMatch(/Sandbox:\n +ok +bwrap +other people's scenes render with no network/)
  })

  it('says what is missing and the command that installs it, and exits 1', async () => {
    const result = await runFarm(['doctor', '--json'], { env: { PATH: await tempDir() } })
    expect(result.exitCode).toBe(1)
    const report = JSON.parse(result.stdout)
    expect(report.renderers.map((r: { name: string; installed: boolean }) => [r.name, r.installed])).toEqual([
      ['povray', false],
      ['blender', false],
    ])
    expect(report.tools[0].installHint).toContain('sudo apt-get install ffmpeg')
    expect(report.sandbox).toMatchObject({ ok: false, problem: /bubblewrap \(bwrap\) is not installed/ })
  })
})

describe('farm bench', () => {
  it("prints this machine's WUPM for POV-Ray and saves it in the node's home", async () => {
    const home = await tempDir()
    const result = await runFarm(['bench', '--renderer', 'povray', '--home', home, '--json'])
    expect(result.exitCode).toBe(0)
    const [povray] = JSON.parse(result.stdout)
    expect(povray).toMatchObject({ renderer: 'povray', reference: 'ref-v1', referenceSeconds: 4.1 })
    expect(povray.wupm).toBeCloseTo(povray.referenceSeconds / povray.seconds, 6)
    const cached = JSON.parse(await readFile(join(home, 'cache', 'wupm.json'), 'utf8'))
    expect(cached.povray.wupm).toBe(povray.wupm)
  })

  it('refuses an unknown renderer', async () => {
    const result = await runFarm(['bench', '--renderer', 'maya', '--home', await tempDir()])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain("farm bench: --renderer 'maya' is not one of povray, blender.")
  })
})

describe('farm --help', () => {
  it('lists render, doctor and bench, and each has an example', async () => {
    const overview = await runFarm(['--help'])
    for (const name of ['render', 'doctor', 'bench']) {
      expect(overview.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'))
      const help = await runFarm([name, '--help'])
      expect(help.exitCode).toBe(0)
      expect(help.stdout).toContain(`Usage: farm ${name}`)
      expect(help.stdout).toMatch(/Examples?:\n {2}farm /)
    }
  })
})
