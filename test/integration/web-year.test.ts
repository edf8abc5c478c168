import { join } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureYear } from '../helpers/capture-year.ts'
import { type FarmChild, tempDir } from '../helpers/farm.ts'
import { probeVideo } from '../helpers/render-video.ts'
import { launchChromium, screenshot, serveDir, videoDuration } from '../helpers/web.ts'

// scripts/bench/web-year.ts measures the same pages; here only a bound a visitor would feel
// (this machine is shared, so it is generous): a page with its pictures within 5 s.
const RESPONSIVE_MS = 5000

let dir: string
let base: string
let server: FarmChild
let browser: BrowserContext

beforeAll(async () => {
  dir = await tempDir()
  await captureYear(dir)
  const served = await serveDir(dir)
  server = served.child
  base = served.url
  browser = await launchChromium()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  server?.kill('SIGTERM')
  await server
})

/** Milliseconds from navigation start until every picture of the page is decoded. */
async function load(path: string) {
  const page = await browser.newPage()
  await page.goto(`${base}${path}`)
  await page.waitForFunction(() => [...document.images].every((img) => img.complete), null, {
    timeout: 30_000,
  })
  return { page, ms: await page.evaluate(() => performance.now()) }
}

describe('farm serve with a year of captures (365 days of 24 frames)', () => {
  it('opens on December, indexes all twelve months, and loads a month with its pictures quickly', async () => {
    const home = await load('')
    expect(await home.page.locator('h1').textContent()).toBe('December 2026')
    expect(await home.page.locator('.months a.month').count()).toBe(12)
    expect(home.ms).toBeLessThan(RESPONSIVE_MS)
    await home.page.close()
    const june = await load('month/2026-06')
    expect(await june.page.locator('.cell.day').count()).toBe(30)
    expect(
      await june.page
        .locator('.cell.day img')
        .evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth === 64)),
    ).toBe(true)
    expect(june.ms).toBeLessThan(RESPONSIVE_MS)
    await screenshot(june.page, 'year-month')
    await june.page.close()
  })

  it('loads a day of 24 frames with its scrubber, and steps to the next day by key', async () => {
    const day = await load('day/2026-06-15')
    expect(await day.page.locator('#scrub').getAttribute('max')).toBe('23')
    expect(await day.page.locator('.frame img').count()).toBe(24)
    expect(day.ms).toBeLessThan(RESPONSIVE_MS)
    await day.page.keyboard.press('PageDown')
    await day.page.waitForURL(`${base}day/2026-06-16`)
    await day.page.close()
  })

  it('plays noon of every day of the year as one video', async () => {
    const { page } = await load('same-time?span=2026&at=12:00')
    expect(await page.locator('#same-time-notes').textContent()).toContain(
      '365 days, from 2026-01-01 to 2026-12-31',
    )
    expect(await videoDuration(page, '#same-time-video')).toBeCloseTo(36.5, 0)
    expect((await probeVideo(join(dir, 'timelapse', 'same-time', '2026-at-1200.mp4'))).frames).toBe(365)
    await page.close()
  })
})
