import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFarm, tempDir } from '../helpers/farm.ts'
import { ledgerOf, newHome, peersOf, startNode, waitFor } from '../helpers/p2p-nodes.ts'
import { honestPair, jobNames, startRogue } from './member-helpers.ts'

describe('removing a member and cutting off a flood', () => {
  it("ignores a removed node's later entries on every node and refuses its connections", async () => {
    const { a, b, invite } = await honestPair()
    const c = await startNode(await newHome('c'), [invite, '--name', 'c'])
    await waitFor(async () => (await peersOf(c.home)).length === 2, 'c to meet a and b')
    // c is away while b is removed: it learns of it only after b's later entries reach it.
    expect(await c.stop()).toBe(0)

    const removed = await runFarm(['remove', 'b', '--home', a.home])
    expect(removed.exitCode).toBe(0)
    const last = (await ledgerOf(a.home)).clock[b.id]
    expect(removed.stderr).toBe(
      `farm: removed b (${b.id}): its entries after #${last} are ignored and its connections refused`,
    )
    await waitFor(
      () => a.log.find((l) => l.includes(`peer ${b.id} disconnected: it was removed from the swarm`)),
      'the founder to drop b',
    )

    const scene = join(await tempDir('farm-scene-'), 'scene.pov')
    await writeFile(scene, 'camera { location <0, 0, -3> look_at 0 } sphere { 0, 1 pigment { rgb 1 } }\n')
    const submitted = await runFarm([
      'submit',
      scene,
      '--frames',
      '1-2',
      '--name',
      'after-removal',
      '--home',
      b.home,
    ])
    expect(submitted.exitCode).toBe(0)

    const back = await startNode(c.home)
    await waitFor(
      async () => ((await ledgerOf(back.home)).clock[a.id] ?? 0) >= (await ledgerOf(a.home)).clock[a.id]!,
      'c to learn of the removal',
    ).catch((err) => {
      throw new Error(`${err.message}\n${back.log.join('\n')}\nA:\n${a.log.join('\n')}`)
    })
    await waitFor(async () => !(await peersOf(back.home)).some((p) => p.id === b.id), 'c to drop b')
    await new Promise((r) => setTimeout(r, 3_000))
    for (const node of [a, back]) {
      expect(await jobNames(node)).not.toContain('after-removal')
      expect((await peersOf(node.home)).map((p) => p.id)).not.toContain(b.id)
    }
    // b dials again and again (it remembers both); neither lets it in. Nor may it remove anyone.
    const refused = await runFarm(['remove', 'c', '--home', b.home])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain(
      "only the swarm's founder, or a member the founder admitted with `farm admit NODE --admin`, may do that",
    )
  })

  it('disconnects a member that floods its own feed, logs it, and keeps it out', async () => {
    const { a, b, invite } = await honestPair()
    const rogue = await startRogue('flood', invite, ['30000'])
    await waitFor(() => rogue.output().includes('flooded 30000'), 'the rogue to write its flood', 90_000)
    for (const node of [a, b]) {
      await waitFor(
        () =>
          node.log.find((l) =>
            l.includes(
              `peer ${rogue.id} disconnected: flooded: entries to its own feed beyond 20000 at once and 6000 a minute; refused for 10 min`,
            ),
          ),
        `${node.home} to cut the flooder off`,
        60_000,
      )
    }
    rogue.again()
    await waitFor(() => rogue.output().includes('flooded again'), 'the rogue to write more', 30_000)
    await new Promise((r) => setTimeout(r, 3_000))
    for (const node of [a, b]) {
      expect((await peersOf(node.home)).map((p) => p.id)).not.toContain(rogue.id)
      // What it gossiped before the cut travels on like any entry; nothing after it does
      // (its feed: its node entry, then the 30,000).
      expect((await ledgerOf(node.home)).clock[rogue.id] ?? 0).toBeLessThanOrEqual(30_001)
    }
    expect((await peersOf(a.home)).map((p) => p.id)).toEqual([b.id])
  })
})
