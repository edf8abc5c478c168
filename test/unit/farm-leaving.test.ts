import { describe, expect, it } from 'vitest'
import { type HealthInput, nodeHealth } from '../../src/farm/control/health.ts'
import { STOP_RESERVE_MS, unfetchedResults, workingGraceMs } from '../../src/farm/work/grace.ts'
import { FarmStateBuilder } from '../helpers/farm-state.ts'

const ALPHA = '12D3KooWAlphaAlphaAlphaAlphaAlphaAlphaAlphaAlpha11'
const BETA = '12D3KooWBetaBetaBetaBetaBetaBetaBetaBetaBetaBetaBe22'

function input(peers: HealthInput['summary']['peers'], clock: Record<string, number>, knownMembers = 1) {
  const entries = Object.values(clock).reduce((a, b) => a + b, 0)
  return { summary: { author: 'self', clock, entries, peers, inSync: false, forked: [] }, knownMembers }
}

describe('farm status --health', () => {
  it('is healthy when every peer synced and this node holds all each of them held', () => {
    const health = nodeHealth(input([{ id: ALPHA, clock: { a: 3 }, inSync: false }], { a: 3, self: 2 }))
    expect(health).toEqual({ healthy: true, reason: 'ok: 1 peer, in sync, 5 entries' })
  })

  it('is unhealthy, naming the peer and the gap, when a sync left it behind', () => {
    const health = nodeHealth(
      input(
        [
          { id: ALPHA, clock: { a: 9 }, inSync: false },
          { id: BETA, clock: { a: 4, b: 2 }, inSync: false },
        ],
        { a: 4 },
      ),
    )
    expect(health).toEqual({ healthy: false, reason: 'behind …lpha11 and 1 more by 5 entries after a sync' })
  })

  it('is unhealthy when a connected peer could not be synced with', () => {
    const health = nodeHealth(input([{ id: BETA, clock: null, inSync: false }], { a: 1 }))
    expect(health).toEqual({ healthy: false, reason: 'could not sync with …taBe22' })
  })

  it('is unhealthy with no peers when it knows members, healthy only as the first node of a swarm', () => {
    expect(nodeHealth(input([], { self: 2 }, 3))).toEqual({
      healthy: false,
      reason: 'no peers connected, of 3 members it knows',
    })
    expect(nodeHealth(input([], { self: 2 }, 0))).toEqual({
      healthy: true,
      reason: 'ok: alone in a new swarm, 2 entries',
    })
  })
})

describe('leaving within a grace period', () => {
  it('keeps 5 s of the grace period to stop in, half of a short one', () => {
    expect(workingGraceMs(25_000)).toBe(25_000 - STOP_RESERVE_MS)
    expect(workingGraceMs(4_000)).toBe(2_000)
    expect(workingGraceMs(0)).toBe(0)
  })

  it('waits for the frames it rendered that the stitcher has not judged, in jobs still open', () => {
    const b = new FarmStateBuilder()
    b.job('open', { author: 'payer', stitcher: 'payer', frameCount: 3, accepted: ['w'] })
    b.rendered('open', 'w', 1).rendered('open', 'w', 2).rendered('open', 'other', 3)
    b.verdict('open', 'payer', 'w', 1, true)
    b.job('own', { author: 'w', stitcher: 'w', frameCount: 1, accepted: ['w'] })
    b.rendered('own', 'w', 1)
    expect(unfetchedResults(b.state, 'w')).toEqual([{ job: 'open', frame: 2 }])
    b.entry('payer', 'cancel', { job: 'open' })
    expect(unfetchedResults(b.state, 'w')).toEqual([])
  })
})
