import { describe, expect, it } from 'vitest'
import { runFarm } from '../helpers/farm.ts'
import { ledgerOf, newHome, peersOf, startNode, waitFor } from '../helpers/p2p-nodes.ts'
import { balanceOf, honestPair, inviteOf, JOIN_FLAGS, jobNames, startRogue } from './member-helpers.ts'

const FOUNDER_GRANT = 1_000_000

describe('only admitted members count and stay connected', () => {
  it('gives a node with the swarm key but no admission nothing folded and no lasting connection', async () => {
    const { a, b, invite } = await honestPair()
    const rogue = await startRogue('stranger', invite)
    await waitFor(() => rogue.output().includes('wrote a job and a grant'), 'the stranger to write')
    await waitFor(
      () => a.log.find((l) => l.includes(`peer ${rogue.id} disconnected: no member admitted it within 30 s`)),
      'the founder to drop the stranger after its window',
      60_000,
    )
    // It keeps dialling; the gater refuses it, so it stays out.
    await new Promise((r) => setTimeout(r, 4_000))
    for (const node of [a, b]) {
      expect((await peersOf(node.home)).map((p) => p.id)).not.toContain(rogue.id)
      expect((await ledgerOf(node.home)).clock[rogue.id]).toBeUndefined()
      expect(await jobNames(node)).not.toContain('stray')
      expect(await balanceOf(node, rogue.id)).toBe(0)
      expect(await balanceOf(node, a.id)).toBe(FOUNDER_GRANT)
    }
    expect((await peersOf(a.home)).map((p) => p.id)).toEqual([b.id])
  })

  it('refuses an expired invite and a used-up one with a message that says so, exit 2', async () => {
    const { a, b } = await honestPair()
    const expired = await inviteOf(a, ['--expires', '1s'])
    await new Promise((r) => setTimeout(r, 1_500))
    const late = await runFarm(['join', expired, '--home', await newHome('late'), ...JOIN_FLAGS])
    expect(late.exitCode).toBe(2)
    expect(late.stderr).toMatch(
      new RegExp(
        `farm: this invite expired at \\S+Z: ask a member for a new one \\(\`farm invite\`\\) \\(refused by member (${a.id}|${b.id})\\)`,
      ),
    )

    const once = await inviteOf(a, ['--uses', '1'])
    const first = await startNode(await newHome('first'), [once, '--name', 'first'])
    const second = await runFarm(['join', once, '--home', await newHome('second'), ...JOIN_FLAGS])
    expect(second.exitCode).toBe(2)
    expect(second.stderr).toContain(
      'farm: this invite is used up: it admitted 1 of 1 node already; ask a member for a new one (`farm invite --uses N`)',
    )
    // The refused joiner wrote nothing anyone holds.
    expect(Object.keys((await ledgerOf(a.home)).clock).sort()).toEqual([a.id, b.id, first.id].sort())
  })

  it("mints nothing with a forged genesis: a member's invite naming itself founder reaches no member", async () => {
    const { a, b, invite } = await honestPair()
    const rogue = await startRogue('forge', invite)
    const forged = await waitFor(() => /forged (\S+)/.exec(rogue.output())?.[1], 'the forged invite')
    // The joiner's key is derived from the forger's signature: no member of this swarm shares it.
    const victim = await runFarm(['join', forged, '--home', await newHome('victim'), ...JOIN_FLAGS], {
      timeout: 20_000,
    })
    expect(victim.all).toContain(`could not connect to`)
    expect(victim.all).toContain('that your invite (swarm key) is from this swarm')
    expect(victim.all).not.toContain('admitted to the swarm')
    for (const node of [a, b]) {
      expect(await balanceOf(node, rogue.id)).toBe(0)
      expect(await balanceOf(node, a.id)).toBe(FOUNDER_GRANT)
      expect((await peersOf(node.home)).length).toBe(2)
    }
  })
})
