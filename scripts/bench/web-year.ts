// Whether `farm serve` stays responsive with a year of captures: 365 days of 24 frames each
// (small frames: the viewer never decodes them, so their size changes only the bytes sent).
// Server time per page (cold: first request after start, then the median of warm ones), the
// page loaded in Chromium with all its pictures, and the "same time every day" video of the
// whole year (built, then reused). Baseline from the same run: one frame file served.
// Run: npm run build && node_modules/.bin/node scripts/bench/web-year.ts
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { captureYear } from '../../test/helpers/capture-year.ts'
import { CHROMIUM_ARGS } from '../../test/helpers/chromium.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const MAIN = join(ROOT, 'dist', 'cli', 'main.js')
const WARM = 9

async function ms(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await run()
  return performance.now() - started
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function get(url: string): Promise<void> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`web-year bench: ${url} answered ${response.status}`)
  await response.arrayBuffer()
}

/** Cold (the first request) and warm (median of the next ones) server time of one URL. */
async function serverTime(url: string) {
  const cold = await ms(() => get(url))
  const warm: number[] = []
  for (let i = 0; i < WARM; i++) warm.push(await ms(() => get(url)))
  return { cold, warm: median(warm) }
}

if (!existsSync(MAIN)) {
  console.error(`web-year: ${MAIN} is missing: run \`npm run build\` first.`)
  process.exit(2)
}
const dir = await mkdtemp(join(tmpdir(), 'farm-bench-web-year-'))
const made = await ms(() => captureYear(dir))
// Started once the year is on disk: its first page views are then the cold ones measured.
const serve = execa(process.execPath, [MAIN, 'serve', '--dir', dir, '--port', '0'], {
  reject: false,
  buffer: false,
})
try {
  let out = ''
  const base = await new Promise<string>((resolveUrl) => {
    serve.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('http://'))
      if (line) resolveUrl(line.trim())
    })
  })
  console.log(`a year of captures: 365 days x 24 frames made in ${(made / 1000).toFixed(1)} s`)

  const frame = await serverTime(`${base}files/frames/2026-06-15/120000.jpg`)
  console.log(
    `baseline, one frame file:       ${frame.cold.toFixed(1)} ms cold, ${frame.warm.toFixed(1)} ms warm`,
  )
  const pages: Record<string, string> = {
    calendar: '',
    month: 'month/2026-06',
    day: 'day/2026-06-15',
    now: 'now',
    sameTimeForm: 'same-time',
  }
  const server: Record<string, { cold: number; warm: number }> = {}
  for (const [name, path] of Object.entries(pages)) {
    server[name] = await serverTime(`${base}${path}`)
    console.log(
      `server ${name.padEnd(13)} ${server[name]!.cold.toFixed(1).padStart(7)} ms cold, ${server[name]!.warm.toFixed(1)} ms warm`,
    )
  }

  const yearBuild = await ms(() => get(`${base}same-time?span=2026&at=12:00`))
  const yearCached = median(
    await Promise.all(Array.from({ length: 3 }, () => ms(() => get(`${base}same-time?span=2026&at=12:00`)))),
  )
  console.log(
    `same time every day, all of 2026 (365 frames): built in ${(yearBuild / 1000).toFixed(1)} s, then ${yearCached.toFixed(0)} ms reused`,
  )

  const { chromium } = await import('playwright-core')
  const profile = await mkdtemp(join(tmpdir(), 'farm-bench-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  })
  const loaded: Record<string, number> = {}
  try {
    for (const [name, path] of Object.entries({
      month: 'month/2026-06',
      day: 'day/2026-06-15',
      now: 'now',
    })) {
      const page = await browser.newPage()
      await page.goto(`${base}${path}`)
      // From navigation start until every picture on the page is decoded.
      await page.waitForFunction(() => [...document.images].every((img) => img.complete))
      loaded[name] = await page.evaluate(() => performance.now())
      await page.close()
      console.log(`chromium ${name.padEnd(6)} page with its pictures: ${loaded[name]!.toFixed(0)} ms`)
    }
  } finally {
    await browser.close()
    await rm(profile, { recursive: true, force: true })
  }
  console.log(
    [
      `frame_ms=${frame.warm.toFixed(1)}`,
      `calendar_cold_ms=${server.calendar!.cold.toFixed(1)}`,
      `month_ms=${server.month!.warm.toFixed(1)}`,
      `day_ms=${server.day!.warm.toFixed(1)}`,
      `now_ms=${server.now!.warm.toFixed(1)}`,
      `browser_month_ms=${loaded.month!.toFixed(0)}`,
      `browser_day_ms=${loaded.day!.toFixed(0)}`,
      `same_time_year_s=${(yearBuild / 1000).toFixed(1)}`,
      `same_time_year_cached_ms=${yearCached.toFixed(0)}`,
    ].join(' '),
  )
} finally {
  serve.kill('SIGTERM')
  await serve
  await rm(dir, { recursive: true, force: true })
}
