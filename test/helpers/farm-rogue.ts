/**
 * A rogue farm node for the tests: a real node (the project's own ledger, swarm and blob store,
 * its own key) that renders nothing, but as soon as a job appears claims one frame and reports
 * it `rendered` with an image whose pixels do not hash to what it reports. It also grants itself
 * credits, which only the swarm's founder may do.
 * Usage: node test/helpers/farm-rogue.ts INVITE HOME FRAME
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { adoptInvite, FarmNode } from '../../src/farm/index.ts'

const [inviteText, home, frameText] = process.argv.slice(2) as [string, string, string]
const frame = Number(frameText)
// A member like any other: it presents the invite and is admitted; what it writes is what lies.
const bootstrap = await adoptInvite(home, inviteText, {
  name: 'rogue',
  owner: 'rogue',
  listen: ['/ip4/127.0.0.1/tcp/0'],
})
const node = new FarmNode({ home, bootstrap, mdns: false, noRender: true, wupm: 1 })
await node.start()
await node.ledger.append('grant', { to: node.id, amount: 1_000_000_000 })
process.stdout.write(`rogue ready ${node.id}\n`)

const lied = new Set<string>()
node.on('event', (event) => {
  if (event.type !== 'job:submitted' || lied.has(event.job)) return
  lied.add(event.job)
  void lie(event.job)
})

async function lie(jobId: string): Promise<void> {
  const spec = node.state().jobs[jobId]!.spec!
  const png = new PNG({ width: spec.size.width, height: spec.size.height })
  png.data.fill(200)
  const file = join(home, 'fake.png')
  await writeFile(file, PNG.sync.write(png))
  const hash = await node.blobs.put(file)
  await node.ledger.append('claim', { job: jobId, frames: [frame], leaseMs: 60_000 })
  await node.ledger.append('rendered', {
    job: jobId,
    frame,
    file: hash,
    pixelHash: 'ab'.repeat(32),
    renderMs: 60_000,
    wu: 1000,
  })
  process.stdout.write(`lied about frame ${frame} of ${jobId}\n`)
}

const stop = async () => {
  await node.stop()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
