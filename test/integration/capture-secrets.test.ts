import { once } from 'node:events'
import { readdir, readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import jpeg from 'jpeg-js'
import { afterEach, describe, expect, it } from 'vitest'
import { runFarm, tempDir } from '../helpers/farm.ts'
import { rcloneEnv, rcloneServer, webhookServer } from '../helpers/rclone.ts'
import { spawnWatched } from '../helpers/watched.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()))
})

const PASSWORD = 'Pl4nted-Camera-Pw'
const TOKEN = 'Pl4nted-Query-Token'
const HOOK_TOKEN = 'Pl4nted-Hook-Token'

/**
 * A camera that wants Basic credentials (401 without them), and whose errors echo what it was
 * sent, as real ones do: its 500 names the token of the query.
 */
async function fussyCamera() {
  let served = 0
  const expected = `Basic ${Buffer.from(`farm:${PASSWORD}`).toString('base64')}`
  const image = Buffer.from(
    jpeg.encode({ data: Buffer.alloc(64 * 48 * 4, 120), width: 64, height: 48 }, 85).data,
  )
  const server: Server = createServer((req, res) => {
    served++
    if (req.headers.authorization !== expected) return res.writeHead(401, 'who are you').end()
    if (!req.url!.startsWith('/snap.jpg')) return res.writeHead(404).end()
    if (served % 2 === 0)
      return res
        .writeHead(500, `token ${new URL(req.url!, 'http://x').searchParams.get('token')} refused`)
        .end()
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(image)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
  return (server.address() as AddressInfo).port
}

/** Every file below root, binary or not, that holds one of the needles. */
async function filesHolding(root: string, needles: string[]): Promise<string[]> {
  const found: string[] = []
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile()) {
        const bytes = await readFile(path)
        if (needles.some((n) => bytes.includes(n))) found.push(path)
      }
    }
  }
  await walk(root)
  return found
}

/** Every page and file `farm serve` links to from its front page (and `also`), fetched once each. */
async function crawl(start: string, also: string[]): Promise<Map<string, string>> {
  const seen = new Map<string, string>()
  const queue = [start, ...also.map((path) => new URL(path, start).toString())]
  while (queue.length > 0) {
    const url = queue.shift()!
    if (seen.has(url)) continue
    const response = await fetch(url)
    const body = Buffer.from(await response.arrayBuffer()).toString('latin1')
    seen.set(url, `${[...response.headers].join('\n')}\n${body}`)
    if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) continue
    for (const match of body.matchAll(/(?:href|src)="([^"]+)"/g)) {
      const next = new URL(match[1]!, url).toString()
      if (next.startsWith(start)) queue.push(next)
    }
  }
  return seen
}

describe('secrets', () => {
  it('a planted camera password, query token, remote password and webhook token appear in no file, log, event or HTTP response', async () => {
    const dir = await tempDir()
    const store = await tempDir()
    const env = await rcloneEnv(store)
    const port = await fussyCamera()
    const dav = await rcloneServer('webdav', store, env)
    cleanups.push(() => dav.stop())
    // Down: every upload fails, and rclone's errors quote the connection string.
    await dav.stop()
    const remote = dav.remote('pi')
    const obscured = remote.match(/pass=([^:]*)/)![1]!
    const web = await webhookServer()
    cleanups.push(web.close)
    const planted = [PASSWORD, TOKEN, HOOK_TOKEN, obscured, dav.password]
    const source = `http://farm:${PASSWORD}@127.0.0.1:${port}/snap.jpg?channel=1&token=${TOKEN}`
    const { child: capture, output: log } = spawnWatched(
      ['capture', '--cron', '* * * * * *', '--source', source, '--dir', dir, '--tz', 'UTC'].concat([
        '--backup-remote',
        remote,
        '--backup-retry',
        '1',
        '--webhook',
        `${web.url}/${HOOK_TOKEN}`,
      ]),
      { env },
    )
    const deadline = Date.now() + 60_000
    while (
      Date.now() < deadline &&
      !(
        (log().match(/saved frames\//g)?.length ?? 0) >= 2 &&
        log().includes('refused') &&
        log().includes('backup: upload to')
      )
    )
      await new Promise((r) => setTimeout(r, 200))
    capture.kill('SIGTERM')
    expect((await capture).exitCode).toBe(0)
    // The credentials worked (frames), and errors were recorded: what could have leaked did happen.
    expect(log().match(/saved frames\//g)?.length).toBeGreaterThanOrEqual(2)
    expect(log()).toContain(
      `capture from http://***@127.0.0.1:${port}/snap.jpg?channel=***&token=*** failed: HTTP 500 token *** refused`,
    )
    expect(log()).toContain('backup: upload to :webdav,')
    expect(web.of('frame:missed').length).toBeGreaterThan(0)
    expect(web.of('backup:failed').length).toBeGreaterThan(0)

    // A command source with the password in its URL, failing.
    const cmd = await runFarm(
      [
        'capture',
        '--once',
        '--dir',
        dir,
        '--tz',
        'UTC',
        '--source',
        `cmd:curl -sSf http://farm:${PASSWORD}@127.0.0.1:${port}/nothing?token=${TOKEN}`,
      ],
      { env },
    )
    expect(cmd.exitCode).toBe(1)
    const verified = await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir], { env })
    expect(verified.exitCode).toBe(1)

    const { output: served } = spawnWatched(['serve', '--dir', dir, '--port', '0'])
    const url = () =>
      served()
        .split('\n')
        .slice(0, -1)
        .find((line) => line.startsWith('http://')) ?? ''
    while (url() === '') await new Promise((r) => setTimeout(r, 100))
    // Manifests are not linked from the pages, but anyone can ask for them.
    const days = await readdir(join(dir, 'frames'))
    const pages = await crawl(
      url(),
      days.map((day) => `files/frames/${day}/manifest.json`),
    )
    expect([...pages.keys()].some((u) => u.endsWith('/manifest.json'))).toBe(true)
    const manifest = [...pages].find(([u]) => u.endsWith('/manifest.json'))![1]
    // Served manifests keep why a capture was missed, not the error's words.
    expect(manifest).toContain('"reason": "error"')
    expect(manifest).not.toContain('refused')

    const everything = [
      log(),
      String(cmd.all),
      String(verified.all),
      JSON.stringify(web.bodies),
      ...pages.values(),
    ]
    for (const secret of planted) {
      expect(
        everything.filter((text) => text.includes(secret)),
        secret,
      ).toEqual([])
    }
    expect(await filesHolding(dir, planted)).toEqual([])
  })
})
