/**
 * A rogue farm node for the membership attacks: a real node (the project's own home, ledger,
 * swarm), started from an invite of the swarm it attacks, that then does one thing no member
 * should be able to get away with. It prints `rogue ready <peer id>` once started, then what it did.
 *
 *   stranger INVITE HOME   has the swarm key and genesis but never presents the invite: it stays
 *                          a stranger, writes a job and a grant, and keeps dialling the members
 *   flood INVITE HOME N    is admitted like any member, then writes N entries to its own feed
 *                          as fast as its ledger can, and 1,000 more when a line comes on stdin
 *   forge INVITE HOME      is admitted like any member, then prints `forged <invite>`: an invite
 *                          to a genesis it signed itself, naming itself the founder, with the
 *                          members' addresses, and grants itself credits
 *
 * Usage: node test/adversarial/member-rogue.ts MODE INVITE HOME [N]
 */
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { adoptInvite, FarmNode } from '../../src/farm/index.ts'
import { createGenesis, encodeInvite, issueToken, loadOrCreateIdentity } from '../../src/p2p/index.ts'
import { jobBody } from '../helpers/farm-state.ts'

const [mode, inviteText, home, countText] = process.argv.slice(2) as [string, string, string, string?]
const bootstrap = await adoptInvite(home, inviteText, {
  name: `rogue-${mode}`,
  owner: 'rogue',
  listen: ['/ip4/127.0.0.1/tcp/0'],
})
// A stranger keeps the key and genesis but throws the token away: nobody ever admits it.
if (mode === 'stranger') await rm(join(home, 'invite.pending'))
const node = new FarmNode({ home, bootstrap, mdns: false, noRender: true, wupm: 1 })
await node.start()
process.stdout.write(`rogue ready ${node.id}\n`)

if (mode === 'stranger') {
  await node.ledger.append('job', jobBody(node.id, { name: 'stray', pricePerWU: 0 }))
  await node.ledger.append('grant', { to: node.id, amount: 1_000_000_000 })
  process.stdout.write('wrote a job and a grant\n')
} else if (mode === 'flood') {
  const count = Number(countText)
  for (let done = 0; done < count; done += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - done) }, (_, i) => ({
      type: 'grant' as const,
      body: { to: node.id, amount: done + i + 1 },
    }))
    await node.ledger.appendBatch(batch)
  }
  process.stdout.write(`flooded ${count}\n`)
  // Once cut off (the test says so on stdin), whatever it writes reaches no one.
  await once(createInterface({ input: process.stdin }), 'line')
  await node.ledger.appendBatch(
    Array.from({ length: 1000 }, (_, i) => ({
      type: 'grant' as const,
      body: { to: node.id, amount: i + 1 },
    })),
  )
  process.stdout.write('flooded again 1000\n')
} else if (mode === 'forge') {
  const key = await loadOrCreateIdentity(home)
  const genesis = await createGenesis(key)
  const token = await issueToken(key, genesis, { expires: Date.now() + 3600_000, uses: 100 })
  const addresses = [...node.swarm.addresses(), ...(await node.swarm.memberAddresses())]
  await node.ledger.append('grant', { to: node.id, amount: 1_000_000_000 })
  process.stdout.write(`forged ${encodeInvite({ genesis, token, addresses })}\n`)
}

const stop = async () => {
  await node.stop()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
