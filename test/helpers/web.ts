import { mkdir } from 'node:fs/promises'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { CHROMIUM_ARGS } from './chromium.ts'
import { type FarmChild, REPO_ROOT, spawnFarm, tempDir } from './farm.ts'

export async function launchChromium(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(await tempDir('farm-chromium-'), {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1100, height: 900 },
  })
}

/** Screenshots the browser tests keep, for a person to look at: out/screenshots/ (gitignored). */
export const SCREENSHOTS = join(REPO_ROOT, 'out', 'screenshots')

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** The duration in seconds of the page's video once the browser can show its first frame. */
export async function videoDuration(page: Page, selector: string): Promise<number> {
  await page.waitForFunction(
    (css) => (document.querySelector(css) as HTMLVideoElement).readyState >= 2,
    selector,
    { timeout: 30_000 },
  )
  return page.evaluate((css) => (document.querySelector(css) as HTMLVideoElement).duration, selector)
}

/** `farm serve` on a free port of 127.0.0.1; resolves with the URL it prints. */
export async function serveDir(dir: string, args: string[] = []): Promise<{ url: string; child: FarmChild }> {
  const child = spawnFarm(['serve', '--dir', dir, '--port', '0', ...args])
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('http://'))
      if (line) resolve(line.trim())
    })
    child.then((r) => reject(new Error(`farm serve exited ${r.exitCode}: ${r.all}`)))
  })
  return { url, child }
}

/**
 * A reverse proxy on 127.0.0.1 as nginx's `location /timelapse/ { proxy_pass http://upstream; }`
 * runs it: the path goes through unchanged, and so does a streamed answer (server-sent events).
 */
export async function reverseProxy(upstream: string): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(upstream)
  const server = createServer((req, res) => {
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host, 'x-forwarded-for': '127.0.0.1' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    forwarded.on('error', () => res.destroy())
    req.pipe(forwarded)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
