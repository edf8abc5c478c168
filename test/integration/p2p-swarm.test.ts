import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFarm } from '../helpers/farm.ts'
import { initNode, ledgerOf, newHome, peersOf, startNode, waitFor } from '../helpers/p2p-nodes.ts'

describe('a swarm of farm processes on 127.0.0.1', () => {
  it('forms from one invite, replicates entries to every member and catches up a latecomer', async () => {
    const aHome = await initNode('a')
    const a = await startNode(aHome)
    const invite = await runFarm(['invite', '--home', aHome])
    expect(invite.exitCode).toBe(0)
    expect(invite.stdout.trim()).toMatch(/^farm2\.[A-Za-z0-9_-]+$/)
    expect(invite.stderr).toBe('')

    const b = await startNode(await newHome('b'), [invite.stdout.trim(), '--name', 'b'])
    const c = await startNode(await newHome('c'), [invite.stdout.trim(), '--name', 'c'])
    const members = [a, b, c]
    const authors = members.map((n) => n.id).sort()
    for (const node of members) {
      await waitFor(async () => {
        const ledger = await ledgerOf(node.home)
        return Object.keys(ledger.clock).sort().join() === authors.join() && ledger.inSync
      }, `${node.home} to hold the node entries of a, b and c`)
    }
    const peers = await peersOf(a.home)
    expect(peers.map((p) => p.id).sort()).toEqual([b.id, c.id].sort())
    // b and c joined through a alone; the members each sync offers bring them together.
    await waitFor(async () => (await peersOf(b.home)).some((p) => p.id === c.id), 'b and c to meet')
    expect(peers.every((p) => p.addresses.every((addr) => addr.startsWith('/ip4/127.0.0.1/')))).toBe(true)
    expect(peers.map((p) => p.path)).toEqual(['direct', 'direct'])

    // A node joining later learns the whole history by sync.
    const history = (await ledgerOf(a.home)).clock
    const d = await startNode(await newHome('d'), [invite.stdout.trim(), '--name', 'd'])
    await waitFor(async () => {
      const ledger = await ledgerOf(d.home)
      // At least: the member that admits d writes its admit meanwhile.
      const caughtUp = authors.every((id) => (ledger.clock[id] ?? 0) >= history[id]!)
      return caughtUp && (ledger.clock[d.id] ?? 0) >= 1 ? ledger : undefined
    }, 'the latecomer to catch up')
    expect(d.log.join('\n')).toMatch(/synced \d+ entr(y|ies) from .* by sync/)

    // A node of another swarm that knows a member's address still cannot connect.
    const eHome = await initNode('e')
    const config = JSON.parse(await readFile(join(eHome, 'config.json'), 'utf8'))
    await writeFile(join(eHome, 'config.json'), JSON.stringify({ ...config, bootstrap: [a.address] }))
    const e = await startNode(eHome)
    await waitFor(
      () => e.log.find((l) => l.includes(`could not connect to ${a.address}`)),
      'the stranger to fail',
    )
    expect(e.log.join('\n')).toContain('that your invite (swarm key) is from this swarm')
    expect((await peersOf(a.home)).map((p) => p.id)).not.toContain(e.id)
    expect((await ledgerOf(a.home)).clock[e.id]).toBeUndefined()

    expect(await Promise.all(members.map((n) => n.stop()))).toEqual([0, 0, 0])
    // c met b through a; it remembers b so that a restart finds the swarm even without a.
    const remembered = JSON.parse(await readFile(join(c.home, 'config.json'), 'utf8')).bootstrap as string[]
    expect(remembered).toContain(b.address)
    expect(a.log.at(-1)).toMatch(/stopped$/)
  })

  it('keeps its peer id across restarts', async () => {
    const home = await initNode('restart')
    const first = await startNode(home)
    expect(await first.stop()).toBe(0)
    const again = await startNode(home)
    expect(again.id).toBe(first.id)
    // The genesis grant and the node entry: a restart does not write the node entry again.
    expect((await ledgerOf(home)).clock[first.id]).toBe(2)
  })

  it('refuses a world-readable or corrupted identity key with a clear error and exit 2', async () => {
    const home = await initNode('key')
    await chmod(join(home, 'identity.key'), 0o644)
    const joinHome = () =>
      runFarm(['join', '--home', home, '--headless', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'])
    const exposed = await joinHome()
    expect(exposed.exitCode).toBe(2)
    expect(exposed.stderr).toContain(
      `the identity key ${join(home, 'identity.key')} is readable by other users (mode 644): run \`chmod 600`,
    )

    await writeFile(join(home, 'identity.key'), Buffer.from('garbage that is no protobuf key'), {
      mode: 0o600,
    })
    await chmod(join(home, 'identity.key'), 0o600)
    const corrupt = await joinHome()
    expect(corrupt.exitCode).toBe(2)
    expect(corrupt.stderr).toMatch(/identity key .* cannot be read .*restore it from a backup/)
  })

  it('says how to start a node when none is running, and refuses a truncated invite', async () => {
    const home = await newHome('none')
    const peers = await runFarm(['peers', '--home', home])
    expect(peers.exitCode).toBe(2)
    expect(peers.stderr).toContain(
      `no farm node is running in ${home}: start one with \`farm join --home ${home}\``,
    )
    const aHome = await initNode('trunc')
    const a = await startNode(aHome)
    const invite = (await runFarm(['invite', '--home', a.home])).stdout.trim()
    const joined = await runFarm(['join', invite.slice(0, -5), '--home', home, '--no-mdns'])
    expect(joined.exitCode).toBe(2)
    expect(joined.stderr).toContain('this invite is not valid')
  })
})
