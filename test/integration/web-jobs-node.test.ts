import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { ResultPromise } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT, runFarm, spawnFarm, tempDir } from '../helpers/farm.ts'
import { initNode, startNode, waitFor } from '../helpers/p2p-nodes.ts'

const servers = new Set<ResultPromise>()
afterEach(async () => {
  for (const server of servers) server.kill('SIGTERM')
  await Promise.all([...servers])
  servers.clear()
})

/** `farm serve --home` on a free port; resolves with the URL it prints. */
async function serve(home: string, dir: string): Promise<string> {
  const child = spawnFarm(['serve', '--home', home, '--dir', dir, '--port', '0'])
  servers.add(child)
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  return waitFor(() => /^(http:\S+)\n/.exec(out)?.[1], 'farm serve to print its URL', 20_000, child)
}

describe('the jobs page of farm serve --home', () => {
  it("says no node runs, then lists the node's jobs and plays a stitched one's video", async () => {
    const home = await initNode('serve')
    const dir = join(await tempDir('farm-serve-jobs-'), 'capture')
    await mkdir(dir)
    const url = await serve(home, dir)
    const before = await (await fetch(`${url}jobs`)).text()
    expect(before).toContain(
      `no farm node is running in ${home}: start one with \`farm join --home ${home}\``,
    )

    const node = await startNode(home)
    const submitted = await runFarm([
      'submit',
      join(REPO_ROOT, 'examples/povray/orbit.pov'),
      '--frames',
      '1-3',
      '--size',
      '64x48',
      '--name',
      'orbit-test',
      '--home',
      home,
    ])
    expect(submitted.exitCode, submitted.all).toBe(0)
    const id = submitted.stdout.trim()
    const page = await waitFor(
      async () => {
        const html = await (await fetch(`${url}jobs`)).text()
        return html.includes('class="status">done') ? html : undefined
      },
      'the job to show as done',
      120_000,
      node.child,
    )
    expect(page).toContain('orbit-test')
    expect(page).toContain('3/3')
    expect(page).toContain(`src="job-video/${id}.mp4"`)
    const video = await fetch(`${url}job-video/${id}.mp4`, { headers: { range: 'bytes=0-99' } })
    expect(video.status).toBe(206)
    expect(video.headers.get('content-type')).toBe('video/mp4')
    expect(
      Buffer.from(await video.arrayBuffer())
        .subarray(4, 8)
        .toString(),
    ).toBe('ftyp')
  })
})
