import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clockedCapturer } from '../helpers/capture.ts'
import { freePort, spawnFarm, tempDir } from '../helpers/farm.ts'

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

let base: string
let dir: string
let browser: BrowserContext
let server: ReturnType<typeof spawnFarm>

async function waitForUrl(child: ReturnType<typeof spawnFarm>): Promise<string> {
  let out = ''
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('http://'))
      if (line) resolve(line.trim())
    })
    child.then((r) => reject(new Error(`farm serve exited ${r.exitCode}: ${r.all}`)))
  })
}

beforeAll(async () => {
  dir = await tempDir()
  await clockedCapturer(dir, { fps: 4, size: '160x120' }).captureAt([
    '2026-11-20T10:00:00Z',
    '2026-11-20T11:00:00Z',
    '2026-11-21T09:00:00Z',
    '2026-11-21T10:00:00Z',
    '2026-11-21T11:00:00Z',
  ])
  const outside = await tempDir()
  await writeFile(join(outside, 'secret.txt'), 'not for the web')
  await symlink(join(outside, 'secret.txt'), join(dir, 'frames', '2026-11-21', 'escape.jpg'))

  const port = await freePort()
  server = spawnFarm(['serve', '--dir', dir, '--port', String(port), '--base-path', '/timelapse'])
  base = await waitForUrl(server)
  browser = await chromium.launchPersistentContext(await tempDir('farm-chromium-'), {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  })
})

afterAll(async () => {
  await browser?.close()
  server?.kill('SIGTERM')
  await server
})

describe('farm serve in a browser', () => {
  it('lists the days newest first under the base path, with frame counts and pictures', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/timelapse\/$/)
    const page = await browser.newPage()
    await page.goto(base)
    const days = await page.locator('.day .name').allTextContents()
    expect(days).toEqual(['2026-11-21', '2026-11-20'])
    expect(await page.locator('.day .notes').first().textContent()).toContain('3 frames')
    // Pictures load lazily: wait until the browser has decoded each, then check it really is one.
    await page.waitForFunction(() => [...document.images].every((img) => img.complete), null, {
      timeout: 20_000,
    })
    const loaded = await page
      .locator('.day img')
      .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth))
    expect(loaded).toEqual([160, 160])
    await page.close()
  })

  it('plays a day video and opens a full frame from the grid', async () => {
    const page = await browser.newPage()
    await page.goto(base)
    await page.locator('.day a', { hasText: '2026-11-21' }).click()
    expect(page.url()).toBe(`${base}day/2026-11-21`)
    await page.waitForFunction(
      () => (document.querySelector('video') as HTMLVideoElement).readyState >= 2,
      null,
      {
        timeout: 20_000,
      },
    )
    const duration = await page.evaluate(() => (document.querySelector('video') as HTMLVideoElement).duration)
    expect(duration).toBeCloseTo(3 / 4, 1)
    expect(await page.locator('.frame').count()).toBe(3)
    await page.locator('.frame').nth(1).click()
    expect(page.url()).toBe(`${base}files/frames/2026-11-21/100000.jpg`)
    const size = await page.evaluate(() => [
      document.images[0]?.naturalWidth,
      document.images[0]?.naturalHeight,
    ])
    expect(size).toEqual([160, 120])
    await page.close()
  })

  it('serves video by byte ranges so seeking works', async () => {
    const response = await fetch(`${base}files/timelapse/2026-11-21.mp4`, {
      headers: { range: 'bytes=10-19' },
    })
    expect(response.status).toBe(206)
    expect(response.headers.get('content-range')).toMatch(/^bytes 10-19\/\d+$/)
    expect((await response.arrayBuffer()).byteLength).toBe(10)
  })

  it('answers 404 to traversal, encoded .., symlinks out, and paths outside the base path', async () => {
    const page = await browser.newPage()
    for (const path of [
      'files/frames/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      'files/frames/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      'files/frames/2026-11-21/escape.jpg',
      'files/frames/2026-11-21/manifest.json/..',
      'day/2026-13-45',
    ]) {
      const response = await fetch(`${base}${path}`)
      expect(response.status, path).toBe(404)
      expect(await response.text(), path).not.toContain('not for the web')
    }
    const root = new URL('/files/frames/2026-11-21/100000.jpg', base)
    expect((await fetch(root)).status).toBe(404)
    const navigated = await page.goto(`${base}files/frames/../../../../etc/passwd`)
    expect(navigated?.status()).toBe(404)
    await page.close()
  })
})
