import { describe, expect, it } from 'vitest'
import { runFarm } from '../helpers/farm.ts'

describe('farm', () => {
  it('lists its commands with --help and exits 0', async () => {
    const result = await runFarm(['--help'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('Usage: farm <command>')
  })

  it('rejects an unknown command with exit 2 and says where to look', async () => {
    const result = await runFarm(['frobnicate'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain("unknown command 'frobnicate'")
    expect(result.stderr).toContain('farm --help')
  })
})
