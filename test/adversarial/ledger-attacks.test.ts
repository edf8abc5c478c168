import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { ledgerOf, newHome, peersOf, type RunningNode, waitFor } from '../helpers/p2p-nodes.ts'
import { balanceOf, honestPair, jsonOf } from './member-helpers.ts'

/**
 * One swarm of two honest nodes (a founder and a member, both rendering) and a rogue member
 * (ledger-rogue.ts) that lies in its entries: a name with a newline and terminal escapes,
 * 1e6 WUPM, an accept it never works on, claims of 300 made-up jobs of 1,000 frames each, a
 * claim of every frame dated 2100 and a grant with lamport 2^53 - 1. What a user sees must not
 * change: the job finishes, balances and connections stay, and the rogue is refused by code.
 */
const ROGUE = join(REPO_ROOT, 'test', 'adversarial', 'ledger-rogue.ts')

let a: RunningNode
let b: RunningNode
let rogue: { id: string; output: () => string; child: ReturnType<typeof execa> }
let job: string
let balanceBefore: number

beforeAll(async () => {
  ;({ a, b } = await honestPair())
  await waitFor(async () => (await peersOf(a.home)).length === 1, 'a and b to meet')
  balanceBefore = await balanceOf(a, a.id)
  const scene = join(await tempDir('farm-scene-'), 'scene.pov')
  await writeFile(scene, 'camera { location <0, 0, -3> look_at 0 } sphere { 0, 1 pigment { rgb 1 } }\n')
  const submitted = await runFarm([
    'submit',
    ...[scene, '--frames', '1-6', '--size', '64x48', '--name', 'honest', '--home', a.home],
  ])
  expect(submitted.exitCode).toBe(0)
  job = (await jsonOf<{ id: string; name: string }[]>(a, ['jobs'])).find((j) => j.name === 'honest')!.id
  const home = await newHome('rogue')
  const invite = (await runFarm(['invite', '--home', a.home])).stdout.trim()
  const child = execa(process.execPath, [ROGUE, invite, home, job], {
    reject: false,
    all: true,
    buffer: false,
  })
  let output = ''
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const id = await waitFor(() => /rogue ready (\S+)/.exec(output)?.[1], 'the rogue to start', 60_000)
  rogue = { id, output: () => output, child }
  await waitFor(() => output.includes('crafted'), 'the rogue to craft its entries', 90_000).catch((err) => {
    throw new Error(`${err.message}\n${output}`)
  })
}, 180_000)

afterAll(async () => {
  rogue?.child.kill('SIGTERM')
  const timer = setTimeout(() => rogue?.child.kill('SIGKILL'), 5000)
  await rogue?.child
  clearTimeout(timer)
})

describe('a member that lies in its ledger entries', () => {
  it('is refused for a Lamport clock of 2^53 - 1 by both honest nodes, which stay connected', async () => {
    for (const node of [a, b]) {
      await waitFor(
        () => node.log.find((l) => l.includes(`peer ${rogue.id} misbehaved`) && l.includes('BAD_CLOCK')),
        `${node.home} to refuse the rogue's clock`,
        60_000,
      )
    }
    expect((await peersOf(a.home)).map((p) => p.id)).toEqual([b.id])
    expect((await peersOf(b.home)).map((p) => p.id)).toEqual([a.id])
  })

  it('cannot stall the job: its 2100 claim is held, its 1e6 WUPM and idle accept own nothing', async () => {
    await waitFor(
      async () =>
        (await jsonOf<{ id: string; status: string }[]>(a, ['jobs'])).find((j) => j.id === job)?.status ===
        'stitched',
      'the honest job to finish',
      120_000,
    ).catch((err) => {
      throw new Error(`${err.message}\n${a.log.slice(-30).join('\n')}`)
    })
    // The claims of made-up jobs made no job (and no frame records) anywhere.
    for (const node of [a, b]) {
      expect((await jsonOf<{ id: string }[]>(node, ['jobs'])).map((j) => j.id)).toEqual([job])
    }
  })

  it('mints nothing, and every node still takes the honest nodes’ entries', async () => {
    expect(await balanceOf(a, rogue.id)).toBe(0)
    expect(await balanceOf(b, rogue.id)).toBe(0)
    expect(await balanceOf(b, a.id)).toBe(await balanceOf(a, a.id))
    expect(await balanceOf(a, a.id)).toBeLessThanOrEqual(balanceBefore)
    const [la, lb] = [await ledgerOf(a.home), await ledgerOf(b.home)]
    expect(lb.clock[a.id]).toBe(la.clock[a.id])
    // Its three honest entries and the 300 claims of made-up jobs are entries (signed, chained)
    // that make no state; the 2100 claim after them is held and the grant refused, so no node
    // counts the rogue's feed past them.
    expect(la.clock[rogue.id]).toBe(lb.clock[rogue.id])
    expect(la.clock[rogue.id]).toBeLessThanOrEqual(303)
  })

  it('shows its name without the newline and escapes it carries', async () => {
    const workers = await jsonOf<{ id: string; name: string; owner: string }[]>(a, ['workers'])
    const shown = workers.find((w) => w.id === rogue.id)
    expect(shown?.name).toBe('rogue?12:00:00 info paid 1000 cr to mallory?[2J')
    expect(shown?.owner).toBe('rogue?]0;owned?')
    const listed = await runFarm(['workers', '--home', a.home])
    expect(listed.stdout).not.toContain('\u001b')
    expect(listed.stdout).not.toContain('\u0007')
    expect(listed.stdout).not.toMatch(/^12:00:00 info paid/m)
    for (const line of [...a.log, ...b.log]) expect(line).not.toContain('\u001b')
  })
})
