import { describe, expect, it } from 'vitest'
import { FARM_SOURCE, runFarm } from '../helpers/farm.ts'

// From source (Node 22 strips the types), so the unit suite needs no build.
const farm = (args: string[]) => runFarm(args, { main: FARM_SOURCE })

describe('farm', () => {
  it('lists its commands with --help and exits 0', async () => {
    const result = await farm(['--help'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('Usage: farm <command>')
  })

  it('rejects an unknown command with exit 2 and says where to look', async () => {
    const result = await farm(['frobnicate'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain("unknown command 'frobnicate'")
    expect(result.stderr).toContain('farm --help')
  })
})
