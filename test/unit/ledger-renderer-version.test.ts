import { describe, expect, it } from 'vitest'
import { nextClaim } from '../../src/farm/schedule/scheduler.ts'
import {
  bodyProblem,
  majorMinor,
  noWorkerHasVersion,
  rendererFits,
  rendersJob,
} from '../../src/ledger/index.ts'
import { FarmStateBuilder, jobBody } from '../helpers/farm-state.ts'

const PEER = `12D3KooW${'A'.repeat(44)}`
const blender = (version: string) => ({ name: 'blender', version })

describe('renderer versions', () => {
  it('match by major.minor', () => {
    expect(majorMinor('3.4.1')).toBe('3.4')
    expect(majorMinor('3.7.0.10')).toBe('3.7')
    expect(majorMinor('04.02')).toBe('4.2')
    expect(majorMinor('')).toBeUndefined()
    const spec = jobBody('s', { renderer: 'blender', rendererVersion: '3.4.1' })
    expect(rendererFits(spec, blender('3.4.0'))).toBe(true)
    expect(rendererFits(spec, blender('3.5.1'))).toBe(false)
    expect(rendererFits(spec, blender(''))).toBe(false)
    expect(rendererFits(spec, { name: 'povray', version: '3.4.1' })).toBe(false)
    expect(rendererFits({ ...spec, anyVersion: true }, blender('4.2.0'))).toBe(true)
    const { rendererVersion: _, ...unpinned } = spec
    expect(rendererFits(unpinned, blender('4.2.0'))).toBe(true)
    expect(rendersJob({ renderers: [blender('4.2.0'), blender('3.4.1')] }, spec)).toBe(true)
  })

  it('are checked in the job body, and a tiled job has frames 1..cols*rows', () => {
    expect(bodyProblem('job', jobBody(PEER, { rendererVersion: 'latest' }))).toMatch(/rendererVersion/)
    expect(bodyProblem('job', jobBody(PEER, { rendererVersion: '3.4', anyVersion: true }))).toBeUndefined()
    const tiled = jobBody(PEER, { frames: { first: 1, last: 16 }, tiles: { frame: 7, cols: 4, rows: 4 } })
    expect(bodyProblem('job', tiled)).toBeUndefined()
    expect(bodyProblem('job', { ...tiled, frames: { first: 1, last: 15 } })).toMatch(/tiled job/)
    expect(bodyProblem('job', { ...tiled, size: { width: 3, height: 48 } })).toMatch(/tiled job/)
  })

  it('keep a pinned job from a worker of another version, and say so when nobody has it', () => {
    const b = new FarmStateBuilder()
    b.entry('old', 'node', { name: 'old', owner: 'o', renderers: [blender('3.4.1')], cores: 2, wupm: 1 })
    b.entry('new', 'node', { name: 'new', owner: 'o', renderers: [blender('4.2.0')], cores: 2, wupm: 1 })
    b.job('pinned', {
      renderer: 'blender',
      rendererVersion: '4.2.3',
      frameCount: 2,
      accepted: ['old', 'new'],
    })
    const input = { state: b.state, now: 0, live: new Set(['old', 'new']) }
    expect(nextClaim(input, 'old')).toBeUndefined()
    expect(nextClaim(input, 'new')?.job).toBe('pinned')
    const job = b.state.jobs.pinned!
    expect(noWorkerHasVersion(b.state, job)).toBe(false)
    expect(noWorkerHasVersion(b.state, job, ['old'])).toBe(true)
    b.job('any', { renderer: 'blender', rendererVersion: '5.0', anyVersion: true, accepted: ['old'] })
    expect(noWorkerHasVersion(b.state, b.state.jobs.any!)).toBe(false)
  })
})
