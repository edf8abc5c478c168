import { describe, expect, it } from 'vitest'
import { adoptInvite, readConfig, writeConfig } from '../../src/farm/index.ts'
import { runFarm } from '../helpers/farm.ts'
import { newHome, peersOf, startNode, waitFor } from '../helpers/p2p-nodes.ts'
import { balanceOf, honestPair, inviteOf, JOIN_FLAGS } from './member-helpers.ts'

describe('farm rekey', () => {
  it('moves the swarm to a new key, keeping its ledger, so a leaked invite reaches no one', async () => {
    const { a, b, invite: leaked } = await honestPair()
    expect(await a.stop()).toBe(0)
    const notFounder = await runFarm(['rekey', '--home', b.home])
    expect(notFounder.exitCode).toBe(2)
    expect(notFounder.stderr).toContain("is not the home of the swarm's founder")
    const rekey = await runFarm(['rekey', '--home', a.home])
    expect(rekey.exitCode).toBe(0)
    expect(rekey.stdout.trim()).toMatch(/^farm2\./)

    const a2 = await startNode(a.home)
    const fresh = await inviteOf(a2)
    expect(await b.stop()).toBe(0)
    const b2 = await startNode(b.home, [fresh])
    await waitFor(
      async () => (await peersOf(a2.home)).some((p) => p.id === b2.id),
      'b to move to the new key',
    )
    expect(b2.id).toBe(b.id)
    // Already a member: moving spent no use of the invite, and the ledger came along.
    expect(await balanceOf(b2, a.id)).toBe(1_000_000)

    // Someone holding the old invite, who even knows the founder's live address, cannot connect.
    const leakHome = await newHome('leak')
    await adoptInvite(leakHome, leaked, { listen: ['/ip4/127.0.0.1/tcp/0'] })
    await writeConfig(leakHome, { ...(await readConfig(leakHome))!, bootstrap: [a2.address], mdns: false })
    const leak = await runFarm(['join', '--home', leakHome, ...JOIN_FLAGS], { timeout: 20_000 })
    expect(leak.all).toContain(`could not connect to ${a2.address}`)
    expect(leak.all).toContain('that your invite (swarm key) is from this swarm')
    expect((await peersOf(a2.home)).map((p) => p.id)).toEqual([b2.id])
  })
})
