import type { JobSource } from '../web/index.ts'

/**
 * The jobs page's source: the node running in `home`, over its control socket (`jobs`, `job`
 * for a failed job's error, `fetch` for a stitched video, which the node gets from the stitcher
 * if it lacks it). farm is imported on first use, so a `farm serve` nobody asks for jobs stays
 * as small as the capture viewer. With no node running, the page shows the socket's own message.
 */
export function nodeJobs(home: string): JobSource {
  const node = async () => (await import('../farm/index.ts')).callNode
  const quick = { timeoutMs: 10_000 }
  return {
    list: async () => {
      const callNode = await node()
      const jobs = await callNode(home, 'jobs', {}, quick)
      return Promise.all(
        jobs.reverse().map(async (job) => {
          const status = job.phase
          const failure =
            status === 'failed'
              ? (await callNode(home, 'job', { id: job.id }, quick).catch(() => undefined))?.failed.at(-1)
              : undefined
          return {
            id: job.id,
            name: job.name,
            renderer: job.renderer,
            status,
            framesDone: job.progress.verified,
            framesTotal: job.progress.total,
            owner: job.owner || undefined,
            error: failure ? `frame ${failure.frame}: ${failure.error}` : undefined,
            hasVideo: job.video !== null,
          }
        }),
      )
    },
    video: async (id) => {
      const fetched = await (await node())(home, 'fetch', { id }, { timeoutMs: 600_000 })
      return fetched.path ?? undefined
    },
  }
}
