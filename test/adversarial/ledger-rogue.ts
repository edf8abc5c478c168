/**
 * A rogue farm node for the ledger attacks: a real node (the project's home, ledger, swarm),
 * admitted from an invite like any member, that writes what no honest ledger would. It names
 * itself with a newline and terminal escapes and announces 1e6 WUPM (through its own ledger:
 * the schema allows both), accepts the job it is told of and never renders; then, stopped, it
 * writes crafted entries straight into its LevelDB feed (chained and signed, so they travel by
 * sync like any), and starts again so its peers sync them:
 *   - 300 claims of 1,000 frames each of jobs nobody wrote
 *   - a claim of every frame of the job, dated 2100 (lamport tied to that ts)
 *   - a grant to itself with lamport Number.MAX_SAFE_INTEGER
 * It prints `rogue ready <peer id>`, then `crafted <n>` once its feed holds them.
 *
 * Usage: node test/adversarial/ledger-rogue.ts INVITE HOME JOB
 */
import { join } from 'node:path'
import { Level } from 'level'
import { adoptInvite, FarmNode } from '../../src/farm/index.ts'
import { encodeEntry } from '../../src/ledger/index.ts'
import * as store from '../../src/ledger/store.ts'
import { loadOrCreateIdentity } from '../../src/p2p/index.ts'

export const ROGUE_NAME = 'rogue\n12:00:00 info paid 1000 cr to mallory\u001b[2J'

const [inviteText, home, job] = process.argv.slice(2) as [string, string, string]
const bootstrap = await adoptInvite(home, inviteText, {
  name: 'rogue',
  owner: 'rogue',
  listen: ['/ip4/127.0.0.1/tcp/0'],
})
let node = new FarmNode({ home, bootstrap, mdns: false, noRender: true, wupm: 1 })
await node.start()
process.stdout.write(`rogue ready ${node.id}\n`)
const admitted = async () => {
  for (let i = 0; i < 300 && !node.state().membership.roots.length; i++) await sleep(100)
  for (let i = 0; i < 600; i++) {
    if (Object.values(node.state().membership.admits).some((a) => a.node === node.id)) return
    await sleep(100)
  }
  throw new Error('the rogue was never admitted')
}
await admitted()
for (let i = 0; i < 600 && !node.state().jobs[job]?.spec; i++) await sleep(100)
const spec = node.state().jobs[job]!.spec!
await node.ledger.append('node', {
  name: ROGUE_NAME,
  owner: 'rogue\u001b]0;owned\u0007',
  renderers: [{ name: spec.renderer, version: '1' }],
  cores: 64,
  wupm: 1_000_000,
})
await node.ledger.append('accept', { job })
await sleep(2_000)
const id = node.id
await node.stop()

const key = await loadOrCreateIdentity(home)
const db = new Level<string, Uint8Array>(join(home, 'ledger'), { keyEncoding: 'utf8', valueEncoding: 'view' })
await db.open()
const head = store.decode<store.Head>((await db.get(store.headKey(id)))!)
let { seq, lamport, ts } = head
let prev: Uint8Array = head.hash
const now = Date.now()
const frames = Array.from({ length: 1000 }, (_, i) => i)
const crafted: { type: string; body: unknown; lamport?: number; ts?: number }[] = [
  ...Array.from({ length: 300 }, (_, i) => ({
    type: 'claim',
    body: { job: i.toString(16).padStart(64, 'f'), frames, leaseMs: 24 * 3600_000 },
  })),
  {
    type: 'claim',
    body: {
      job,
      frames: Array.from(
        { length: spec.frames.last - spec.frames.first + 1 },
        (_, i) => spec.frames.first + i,
      ),
      leaseMs: 24 * 3600_000,
    },
    ts: Date.UTC(2100, 0, 1),
    lamport: Date.UTC(2100, 0, 1),
  },
  // Dated now: a Lamport clock beyond its own ts, refused wherever it lies in the feed.
  { type: 'grant', body: { to: id, amount: 1_000_000_000 }, lamport: Number.MAX_SAFE_INTEGER, ts: now },
]
for (const c of crafted) {
  seq += 1
  lamport = c.lamport ?? lamport + 1
  ts = c.ts ?? Math.max(ts, now, lamport)
  if (c.ts !== undefined) ts = c.ts
  const d = await encodeEntry(
    { v: 1, author: id, seq, prev, lamport, ts, type: c.type, body: c.body } as never,
    key,
  )
  await db.put(store.entryKey(id, seq), d.encoded)
  prev = Buffer.from(d.entry.hash, 'hex')
}
await db.put(store.headKey(id), store.encode({ seq, hash: prev, lamport, ts }))
await db.close()
process.stdout.write(`crafted ${crafted.length}\n`)

node = new FarmNode({ home, bootstrap, mdns: false, noRender: true, wupm: 1 })
await node.start()

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms))
}

const stop = async () => {
  await node.stop()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
