import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tokenTerms } from '../home/invite.ts'
import { creditsOf, detailOf, frameLogsOf, summaryOf, workersOf } from '../jobs/summary.ts'
import { admitNode, removeNode } from '../members/manage.ts'
import type { FarmNode } from '../node.ts'
import { healthOf } from './health.ts'

/** The node's answers to every `farm` command that talks to it, registered on its control socket. */
export function registerFarmMethods(node: FarmNode): void {
  const live = () => new Set([node.id, ...node.peers().map((p) => p.id)])
  node.handle('status', async () => ({
    id: node.id,
    name: node.name,
    owner: node.owner,
    addresses: node.swarm.addresses(),
    peers: node.peers().length,
  }))
  node.handle('health', () => healthOf(node))
  node.handle('peers', async () => node.peers())
  node.handle('ledger', async () => node.ledgerSummary())
  node.handle('invite', async (terms) => node.swarm.invite(tokenTerms(terms)))
  node.handle('remove', async ({ node: ref }) => removeNode(node.ledger, ref))
  node.handle('admit', async ({ node: ref, admin }) => admitNode(node.ledger, ref, admin ?? false))
  node.handle('submit', (spec) => node.submit(spec))
  node.handle('jobs', async () =>
    Object.values(node.state().jobs)
      .filter((job) => job.spec)
      .sort((a, b) => a.ts - b.ts)
      .map((job) => summaryOf(node.state(), job, live())),
  )
  node.handle('job', async ({ id }) => detailOf(node.state(), node.job(id), live()))
  node.handle('workers', async () => workersOf(node.state(), live()))
  node.handle('cancel', async ({ id }) => {
    await node.cancel(id)
    return summaryOf(node.state(), node.job(id))
  })
  node.handle('reprice', async ({ id, pricePerWU }) => {
    await node.reprice(id, pricePerWU)
    return summaryOf(node.state(), node.job(id))
  })
  node.handle('fetch', async ({ id }) => {
    const job = node.job(id)
    const summary = summaryOf(node.state(), job)
    const video = summary.video
    if (video === null) return { ...summary, path: null }
    const stitcher = Object.keys(job.stitchedBy).find((by) => job.stitchedBy[by] === video)
    const path = await node.swarm
      .fetchBlob(video, stitcher && stitcher !== node.id ? { from: stitcher } : {})
      .catch(() => node.swarm.fetchBlob(video))
    return { ...summary, path }
  })
  node.handle('logs', async ({ id, frame }) => {
    const job = node.job(id)
    const local = await readFile(join(node.home, 'jobs', job.id, 'logs', `${frame}.log`), 'utf8').catch(
      () => undefined,
    )
    return frameLogsOf(job, frame, local)
  })
  node.handle('credits', async () => creditsOf(node.state()))
  node.handle('pause', async ({ paused }) => {
    await node.setPaused(paused)
    return { id: node.id, paused: node.paused }
  })
  node.handle('enable', async ({ node: ref, on }) => {
    const id = await node.setEnabled(ref, on)
    return { id, name: node.state().nodes[id]?.name ?? null, on }
  })
}
