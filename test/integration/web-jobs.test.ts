import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type JobSummary, startViewer } from '../../src/web/index.ts'
import { tempDir } from '../helpers/farm.ts'

const job: JobSummary = {
  id: 'b1946ac92492d2347c6235b4d2611184',
  name: 'splinefollow.pov',
  renderer: 'povray',
  status: 'done',
  framesDone: 48,
  framesTotal: 48,
  submittedAt: '2026-11-21T05:00:00Z',
  owner: 'ada',
  hasVideo: true,
}

describe('the jobs page', () => {
  it('lists the jobs its source gives, with status and a playable video link', async () => {
    const dir = await tempDir()
    const video = join(dir, 'stitched.mp4')
    await writeFile(video, Buffer.alloc(1000, 7))
    const viewer = await startViewer({
      dir,
      port: 0,
      basePath: '/farm',
      jobs: {
        list: async () => [
          job,
          {
            ...job,
            id: 'c0ffee',
            name: '<b>bad</b>.pov',
            status: 'failed',
            hasVideo: false,
            error: 'Parse Error',
          },
        ],
        video: async (id) => (id === job.id ? video : undefined),
      },
    })
    try {
      const html = await (await fetch(`${viewer.url}jobs`)).text()
      expect(html).toContain('splinefollow.pov')
      expect(html).toContain('48/48')
      expect(html).toContain(`src="job-video/${job.id}.mp4"`)
      expect(html).toContain('&#60;b&#62;bad&#60;/b&#62;.pov')
      expect(html).toContain('Parse Error')
      const ranged = await fetch(`${viewer.url}job-video/${job.id}.mp4`, { headers: { range: 'bytes=-10' } })
      expect(ranged.status).toBe(206)
      expect(ranged.headers.get('content-type')).toBe('video/mp4')
      expect((await fetch(`${viewer.url}job-video/c0ffee.mp4`)).status).toBe(404)
      expect((await fetch(`${viewer.url}job-video/%E0%A4%A.mp4`)).status).toBe(404)
    } finally {
      await viewer.close()
    }
  })

  it('shows the source failure on the page, and has no jobs page without a source', async () => {
    const dir = await tempDir()
    const failing = await startViewer({
      dir,
      port: 0,
      jobs: {
        list: async () => Promise.reject(new Error('no farm node is running at /home/pi/.farm')),
        video: async () => undefined,
      },
    })
    const bare = await startViewer({ dir, port: 0 })
    try {
      const page = await fetch(`${failing.url}jobs`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('no farm node is running at /home/pi/.farm')
      expect((await fetch(`${bare.url}jobs`)).status).toBe(404)
      expect(await (await fetch(bare.url)).text()).toContain('No captures yet')
    } finally {
      await Promise.all([failing.close(), bare.close()])
    }
  })
})
