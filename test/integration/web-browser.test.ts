import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clockedCapturer } from '../helpers/capture.ts'
import { type FarmChild, tempDir } from '../helpers/farm.ts'
import { launchChromium, reverseProxy, screenshot, serveDir, videoDuration } from '../helpers/web.ts'

// A name and a time a tampered manifest could carry: the pages must show them, never run them.
const HOSTILE_FILE = `"><img src=x onerror=alert(1)>.jpg`
const HOSTILE_TIME = '<script>alert(2)</script>'

let base: string
let dir: string
let browser: BrowserContext
let server: FarmChild
let proxy: Awaited<ReturnType<typeof reverseProxy>>
let camera: ReturnType<typeof clockedCapturer>
const dialogs: string[] = []
const problems: string[] = []

async function open(path: string): Promise<Page> {
  const page = await browser.newPage()
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${path}: ${message.text()}`)
  })
  page.on('pageerror', (err) => problems.push(`${path}: ${err.message}`))
  await page.goto(`${base}${path}`)
  return page
}

const imagesLoaded = (page: Page) =>
  page.waitForFunction(() => [...document.images].every((img) => img.complete), null, { timeout: 20_000 })

beforeAll(async () => {
  dir = await tempDir()
  camera = clockedCapturer(dir, { fps: 4, size: '160x120' })
  await camera.captureAt([
    '2026-10-31T10:00:00Z',
    '2026-11-20T10:00:00Z',
    '2026-11-20T11:00:00Z',
    '2026-11-21T09:00:00Z',
    '2026-11-21T10:00:00Z',
    '2026-11-21T11:00:00Z',
  ])
  // A day whose manifest was tampered with, around a real frame.
  const hostile = join(dir, 'frames', '2026-11-22')
  await mkdir(hostile, { recursive: true })
  await mkdir(join(dir, 'thumbs', '2026-11-22'), { recursive: true })
  await copyFile(join(dir, 'frames', '2026-11-21', '090000.jpg'), join(hostile, HOSTILE_FILE))
  await copyFile(
    join(dir, 'thumbs', '2026-11-21', '090000.jpg'),
    join(dir, 'thumbs', '2026-11-22', HOSTILE_FILE),
  )
  const manifest = JSON.parse(await readFile(join(dir, 'frames', '2026-11-21', 'manifest.json'), 'utf8'))
  await writeFile(
    join(hostile, 'manifest.json'),
    JSON.stringify({
      ...manifest,
      day: '2026-11-22',
      final: true,
      frames: [{ ...manifest.frames[0], file: HOSTILE_FILE, time: HOSTILE_TIME }],
      missed: [{ time: HOSTILE_TIME, reason: 'error', message: HOSTILE_TIME }],
    }),
  )
  const outside = await tempDir()
  await writeFile(join(outside, 'secret.txt'), 'not for the web')
  await symlink(join(outside, 'secret.txt'), join(dir, 'frames', '2026-11-21', 'escape.jpg'))

  const served = await serveDir(dir, ['--base-path', '/timelapse'])
  server = served.child
  // Everything below goes through the proxy, as it would behind nginx.
  proxy = await reverseProxy(served.url)
  base = `${proxy.url}/timelapse/`
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await proxy?.close()
  server?.kill('SIGTERM')
  await server
})

describe('farm serve in a browser, behind a reverse proxy under --base-path', () => {
  it('opens on the newest month as a calendar of days with their pictures', async () => {
    const page = await open('')
    expect(await page.locator('h1').textContent()).toBe('November 2026')
    const days = await page.locator('.cell.day .date').allTextContents()
    expect(days).toEqual(['20', '21', '22'])
    expect(await page.locator('a[href="day/2026-11-21"] .notes').textContent()).toBe('3 frames · in progress')
    // 2026-11-01 is a Sunday: the calendar starts on Monday the 26th's column.
    expect(await page.locator('.calendar .cell').count()).toBe(6 + 30)
    await imagesLoaded(page)
    const widths = await page
      .locator('.cell.day img')
      .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth))
    expect(widths).toEqual([160, 160, 160])
    await screenshot(page, 'calendar')
    // PageUp: the previous month with captures.
    await page.keyboard.press('PageUp')
    await page.waitForURL(`${base}month/2026-10`)
    expect(await page.locator('h1').textContent()).toBe('October 2026')
    await page.keyboard.press('PageDown')
    await page.waitForURL(`${base}month/2026-11`)
    await page.close()
  })

  it('plays a day, steps through its frames with the scrubber and the keys, and moves between days', async () => {
    const page = await open('')
    await page.locator('a[href="day/2026-11-21"]').click()
    await page.waitForURL(`${base}day/2026-11-21`)
    expect(await videoDuration(page, '#timelapse')).toBeCloseTo(3 / 4, 1)
    const shown = () =>
      page.evaluate(() => ({
        label: document.querySelector('#scrub-time')?.textContent,
        still: (document.querySelector('#still') as HTMLImageElement).src.split('/').slice(-2).join('/'),
        scrub: (document.querySelector('#scrub') as HTMLInputElement).value,
        hash: location.hash,
      }))
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    expect(await shown()).toEqual({
      label: '10:00:00',
      still: '2026-11-21/100000.jpg',
      scrub: '1',
      hash: '#100000.jpg',
    })
    await page.waitForFunction(
      () => (document.querySelector('#still') as HTMLImageElement).naturalWidth === 160,
    )
    await page.keyboard.press('End')
    expect((await shown()).label).toBe('11:00:00')
    await page.keyboard.press('ArrowLeft')
    expect((await shown()).label).toBe('10:00:00')
    await page.locator('#scrub').fill('0')
    expect(await shown()).toMatchObject({ label: '09:00:00', still: '2026-11-21/090000.jpg' })
    await page.locator('.frame').nth(2).click()
    expect(await shown()).toMatchObject({ label: '11:00:00', scrub: '2' })
    await screenshot(page, 'day-scrubber')

    // Playing hides the still, and the scrubber follows the video to its last frame.
    await page.keyboard.press('Home')
    await page.keyboard.press(' ')
    await page.waitForFunction(() => (document.querySelector('#timelapse') as HTMLVideoElement).ended, null, {
      timeout: 20_000,
    })
    expect(await page.locator('#still-link').isHidden()).toBe(true)
    expect(Number((await shown()).scrub)).toBeGreaterThanOrEqual(1)

    // A link to a frame opens on it.
    await page.goto(`${base}day/2026-11-21#110000.jpg`)
    expect((await shown()).label).toBe('11:00:00')
    await page.keyboard.press('PageUp')
    await page.waitForURL(`${base}day/2026-11-20`)
    await page.keyboard.press('Shift+ArrowRight')
    await page.waitForURL(`${base}day/2026-11-21`)
    await page.close()
  })

  it('shows what a tampered manifest says as text, runs none of it, and lets no script in', async () => {
    const page = await open('day/2026-11-22')
    expect(await page.locator('.frame span').textContent()).toBe(HOSTILE_FILE)
    expect(await page.locator('.frame').getAttribute('title')).toBe(HOSTILE_TIME)
    expect(await page.locator('script').count()).toBe(1)
    expect(await page.locator('img[src="x"]').count()).toBe(0)
    await page.keyboard.press('ArrowRight')
    await page.waitForFunction(
      () => (document.querySelector('#still') as HTMLImageElement).naturalWidth === 160,
    )
    const now = await open('now')
    expect(await now.locator('#latest-time').textContent()).toBe(`2026-11-22 ${HOSTILE_FILE}`)
    expect(dialogs).toEqual([])
    const response = await fetch(`${base}day/2026-11-22`)
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await response.text()).not.toContain('<script>alert')
    await page.close()
    await now.close()
  })

  it('the now page shows the latest frame and swaps in the next one as it is saved', async () => {
    const page = await open('now')
    await page.waitForFunction(() => document.querySelector('#live-status')?.textContent?.startsWith('Live'))
    await camera.captureAt(['2026-11-23T08:00:00Z'])
    await page.waitForFunction(
      () => (document.querySelector('#latest') as HTMLImageElement).dataset.file === '080000.jpg',
      null,
      {
        timeout: 20_000,
      },
    )
    expect(await page.locator('#latest-time').textContent()).toBe('2026-11-23 08:00:00')
    expect(await page.title()).toBe('Now · 2026-11-23 08:00:00')
    expect(
      await page.evaluate(() => (document.querySelector('#latest') as HTMLImageElement).naturalWidth),
    ).toBe(160)
    // The day's timelapse is reloaded too once it was rebuilt.
    await page.waitForFunction(
      () => (document.querySelector('#today') as HTMLVideoElement).src.includes('2026-11-23.mp4'),
      null,
      {
        timeout: 20_000,
      },
    )
    await page.waitForFunction(
      () => (document.querySelector('#today') as HTMLVideoElement).readyState >= 1,
      null,
      {
        timeout: 20_000,
      },
    )
    await screenshot(page, 'now')
    await page.close()
  })

  it('builds and plays the same time every day for a chosen month and time', async () => {
    const page = await open('same-time')
    await page.locator('select[name=span]').selectOption('2026-11')
    await page.locator('input[name=at]').fill('10:00')
    await page.locator('button[type=submit]').click()
    await page.waitForURL(`${base}same-time?span=2026-11&at=10%3A00`)
    const notes = await page.locator('#same-time-notes').textContent()
    expect(notes).toContain('2 days, from 2026-11-20 to 2026-11-21, one frame each at 10 frames a second.')
    expect(notes).toContain('no frame near 10:00: 2026-11-22, 2026-11-23')
    expect(await videoDuration(page, '#same-time-video')).toBeCloseTo(0.2, 1)
    await screenshot(page, 'same-time')
    const bad = await fetch(`${base}same-time?span=2026-11&at=25:99`)
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('--at &#39;25:99&#39; is not valid')
    await page.close()
  })

  it("downloads a day's frames as a zip of exactly those files", async () => {
    const page = await open('day/2026-11-21')
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a.download').click()])
    expect(download.suggestedFilename()).toBe('2026-11-21.zip')
    const zip = join(await tempDir(), 'day.zip')
    await download.saveAs(zip)
    const listed = await execa('unzip', ['-Z1', zip])
    expect(listed.stdout.split('\n')).toEqual([
      '2026-11-21/090000.jpg',
      '2026-11-21/100000.jpg',
      '2026-11-21/110000.jpg',
    ])
    expect((await execa('unzip', ['-t', zip])).stdout).toContain('No errors detected')
    const inside = await execa('unzip', ['-p', zip, '2026-11-21/100000.jpg'], { encoding: 'buffer' })
    expect(
      Buffer.compare(inside.stdout, await readFile(join(dir, 'frames', '2026-11-21', '100000.jpg'))),
    ).toBe(0)
    await page.close()
  })

  it('answers 304 to a browser whose copy is current, by ETag and by date', async () => {
    for (const path of [
      'files/frames/2026-11-21/100000.jpg',
      'day/2026-11-21',
      'style.css',
      'app.js',
      'favicon.svg',
    ]) {
      const first = await fetch(`${base}${path}`)
      expect(first.status, path).toBe(200)
      const etag = first.headers.get('etag')!
      const again = await fetch(`${base}${path}`, { headers: { 'if-none-match': etag } })
      expect(again.status, path).toBe(304)
      expect(await again.text(), path).toBe('')
    }
    const frame = await fetch(`${base}files/frames/2026-11-21/100000.jpg`)
    const lastModified = frame.headers.get('last-modified')!
    expect(
      (
        await fetch(`${base}files/frames/2026-11-21/100000.jpg`, {
          headers: { 'if-modified-since': lastModified },
        })
      ).status,
    ).toBe(304)
    expect(
      (
        await fetch(`${base}files/frames/2026-11-21/100000.jpg`, {
          headers: { 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' },
        })
      ).status,
    ).toBe(200)
    expect(frame.headers.get('x-content-type-options')).toBe('nosniff')
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
      'files/segments/2026-11-23/0000.ts',
      'download/..%2F2026-11-21.zip',
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

  it('logged no script error and no blocked resource on any page', () => {
    expect(problems).toEqual([])
  })
})
