import { once } from 'node:events'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { execa } from 'execa'
import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import { afterEach, describe, expect, it } from 'vitest'
import type { DayManifest } from '../../src/capture/index.ts'
import { clockedCapturer } from '../helpers/capture.ts'
import { runFarm, spawnFarm, tempDir } from '../helpers/farm.ts'
import { probeVideo } from '../helpers/render-video.ts'

async function manifest(dir: string, day: string): Promise<DayManifest> {
  return JSON.parse(await readFile(join(dir, 'frames', day, 'manifest.json'), 'utf8'))
}

function solidJpeg(level: number, width = 64, height = 48): Buffer {
  return Buffer.from(jpeg.encode({ data: Buffer.alloc(width * height * 4, level), width, height }, 85).data)
}

/** A camera on 127.0.0.1 whose next answers the test chooses. */
async function fakeCamera(answers: Array<'ok' | '500' | 'hang' | 'garbage' | 'html' | 'dark'>) {
  let served = 0
  const server: Server = createServer((_req, res) => {
    const answer = answers[served++ % answers.length]
    if (answer === 'hang') return // never answers: the capture's timeout must fire
    if (answer === '500') {
      res.writeHead(500).end('camera busy')
    } else if (answer === 'garbage') {
      res
        .writeHead(200, { 'content-type': 'image/jpeg' })
        .end(Buffer.from('\xff\xd8\xff garbage, not a picture'))
    } else if (answer === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>')
    } else {
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(solidJpeg(answer === 'dark' ? 5 : 200))
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/snapshot.jpg`,
    served: () => served,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** `farm capture` arguments for a test directory, in UTC so day folders do not depend on the host. */
function capture(dir: string, ...args: string[]): string[] {
  return ['capture', ...args, '--dir', dir, '--tz', 'UTC']
}

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()))
})

describe('farm capture', () => {
  it('--once with test: saves a frame, its thumbnail (never larger than the frame), a manifest entry and a one-frame timelapse', async () => {
    const dir = await tempDir()
    const result = await runFarm([
      'capture',
      '--once',
      '--source',
      'test:160x120',
      '--dir',
      dir,
      '--tz',
      'UTC',
    ])
    expect(result.stderr).toContain('saved frames/')
    expect(result.exitCode).toBe(0)
    const path = result.stdout.trim()
    const match = /frames\/(\d{4}-\d{2}-\d{2})\/(\d{6})\.jpg$/.exec(path)
    expect(match).not.toBeNull()
    const day = match![1]!
    const m = await manifest(dir, day)
    expect(m.frames).toHaveLength(1)
    expect(m.frames[0]).toMatchObject({ file: `${match![2]}.jpg`, width: 160, height: 120 })
    expect(m.frames[0]!.size).toBe((await stat(path)).size)
    const thumb = jpeg.decode(await readFile(join(dir, 'thumbs', day, m.frames[0]!.file)))
    expect(thumb.width).toBe(160)
    expect(await probeVideo(join(dir, 'timelapse', `${day}.mp4`))).toMatchObject({
      frames: 1,
      width: 160,
      height: 120,
    })
  })

  it('puts frames in the right day folders across midnight and finalises the finished day', async () => {
    const dir = await tempDir()
    // Paris is UTC+1 in November: these are 23:58, 23:59, 00:00 and 00:01 local time.
    const instants = [
      '2026-11-20T22:58:00Z',
      '2026-11-20T22:59:00Z',
      '2026-11-20T23:00:00Z',
      '2026-11-20T23:01:00Z',
    ]
    const { capturer, captureAt } = clockedCapturer(dir, {
      timeZone: 'Europe/Paris',
      fps: 10,
      size: '160x120',
    })
    await capturer.recover()
    expect((await captureAt(instants)).map((o) => o.status)).toEqual(['saved', 'saved', 'saved', 'saved'])
    const before = await manifest(dir, '2026-11-20')
    const after = await manifest(dir, '2026-11-21')
    expect(before.frames.map((f) => f.file)).toEqual(['235800.jpg', '235900.jpg'])
    expect(after.frames.map((f) => f.file)).toEqual(['000000.jpg', '000100.jpg'])
    expect(before.final).toBe(true)
    expect(after.final).toBe(false)
    expect((await probeVideo(join(dir, 'timelapse', '2026-11-20.mp4'))).frames).toBe(2)
    expect((await probeVideo(join(dir, 'timelapse', '2026-11-21.mp4'))).frames).toBe(2)
  })

  it('--daylight takes no frame at night but still finalises the day before', async () => {
    const dir = await tempDir()
    // London: 12:00 UTC is day, 02:00 UTC the next day is night.
    const { captureAt } = clockedCapturer(dir, { daylight: { lat: 51.5, lon: -0.12 } })
    const outcomes = await captureAt(['2026-11-20T12:00:00Z', '2026-11-21T02:00:00Z'])
    expect(outcomes.map((o) => o.status)).toEqual(['saved', 'night'])
    expect((await manifest(dir, '2026-11-20')).final).toBe(true)
    await expect(stat(join(dir, 'frames', '2026-11-21'))).rejects.toThrow()
  })

  it('logs and counts a camera that fails (500, timeout, garbage, wrong type) and keeps capturing', async () => {
    const dir = await tempDir()
    const camera = await fakeCamera(['ok', '500', 'hang', 'garbage', 'html', 'ok'])
    cleanups.push(camera.close)
    const child = spawnFarm(capture(dir, '--cron', '*/2 * * * * *', '--timeout', '1', '--source', camera.url))
    cleanups.push(async () => {
      child.kill('SIGKILL')
      await child
    })
    let log = ''
    child.all?.on('data', (chunk: Buffer) => {
      log += chunk.toString()
    })
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && (log.match(/saved frames\//g)?.length ?? 0) < 2) {
      await new Promise((r) => setTimeout(r, 250))
    }
    child.kill('SIGTERM')
    const result = await child
    expect(result.exitCode).toBe(0)
    expect(log).toContain('INFO  stopped')
    expect(log).toContain('HTTP 500')
    expect(log).toContain('no answer within 1000 ms')
    expect(log).toContain('not a complete JPEG or PNG')
    expect(log).toContain("content-type is 'text/html'")
    expect(log.match(/saved frames\//g)?.length).toBe(2)
    const days = (await execa('ls', [join(dir, 'frames')])).stdout.split('\n')
    const frames = (await Promise.all(days.map((d) => manifest(dir, d)))).flatMap((m) => m.frames)
    const missed = (await Promise.all(days.map((d) => manifest(dir, d)))).flatMap((m) => m.missed)
    expect(frames).toHaveLength(2)
    expect(missed.map((m) => m.reason)).toEqual(['error', 'error', 'error', 'error'])
  })

  it('takes a PNG from a camera command as a JPEG frame, and kills a command that hangs', async () => {
    const dir = await tempDir()
    const png = new PNG({ width: 80, height: 60 })
    png.data.fill(180)
    await writeFile(join(dir, 'still.png'), PNG.sync.write(png))
    const ok = await runFarm(capture(dir, '--once', '--source', `cmd:cat ${join(dir, 'still.png')}`))
    expect(ok.exitCode).toBe(0)
    expect(jpeg.decode(await readFile(ok.stdout.trim()))).toMatchObject({ width: 80, height: 60 })

    const hung = await runFarm(
      capture(dir, '--once', '--timeout', '1', '--source', 'cmd:sleep 37; echo never'),
    )
    expect(hung.exitCode).toBe(1)
    expect(hung.stderr).toContain("command 'sleep 37; echo never' failed: no image within 1000 ms (killed)")
    // The shell's child, not only the shell, must be gone: the camera tool would hold the device.
    const sleepers = await execa('pgrep', ['-f', '^sleep 37$'], { reject: false })
    expect(sleepers.stdout.trim()).toBe('')
  })

  it('--skip-dark drops a dark frame and records why; --min-free refuses to write on a full disk', async () => {
    const dir = await tempDir()
    const camera = await fakeCamera(['dark'])
    cleanups.push(camera.close)
    const dark = await runFarm(capture(dir, '--once', '--skip-dark', '--source', camera.url))
    expect(dark.exitCode).toBe(0)
    expect(dark.stderr).toMatch(/mean brightness 5(\.\d)? is under --skip-dark level/)
    const full = await runFarm(capture(dir, '--once', '--min-free', '99999999', '--source', 'test:'))
    expect(full.exitCode).toBe(1)
    expect(full.stderr).toContain('below --min-free 99999999 MB: frame not written')
    const [day] = (await execa('ls', [join(dir, 'frames')])).stdout.split('\n')
    const m = await manifest(dir, day!)
    expect(m.frames).toEqual([])
    expect(m.missed.map((x) => x.reason)).toEqual(['dark', 'low-disk'])
    expect((await execa('ls', [join(dir, 'frames', day!)])).stdout).toBe('manifest.json')
  })

  it('--keep-days prunes old frames and thumbnails but keeps their timelapses', async () => {
    const dir = await tempDir()
    const { captureAt } = clockedCapturer(dir, { keepDays: 2 })
    const outcomes = await captureAt(['2026-11-18T12:00:00Z', '2026-11-19T12:00:00Z', '2026-11-20T12:00:00Z'])
    expect(outcomes.map((o) => o.status)).toEqual(['saved', 'saved', 'saved'])
    expect((await execa('ls', [join(dir, 'frames', '2026-11-18')])).stdout).toBe('manifest.json')
    expect((await manifest(dir, '2026-11-18')).pruned).toBe(true)
    await expect(stat(join(dir, 'thumbs', '2026-11-18'))).rejects.toThrow()
    expect((await probeVideo(join(dir, 'timelapse', '2026-11-18.mp4'))).frames).toBe(1)
    expect((await manifest(dir, '2026-11-19')).pruned).toBe(false)
    expect((await execa('ls', [join(dir, 'frames', '2026-11-19')])).stdout).toContain('120000.jpg')
  })

  it('verify reports a corrupted and a missing frame; --rebuild remakes a timelapse from disk', async () => {
    const dir = await tempDir()
    await clockedCapturer(dir).captureAt([
      '2026-11-21T10:00:00Z',
      '2026-11-21T11:00:00Z',
      '2026-11-21T12:00:00Z',
    ])
    const intact = await runFarm(['capture', 'verify', '--dir', dir])
    expect(intact.exitCode).toBe(0)
    expect(intact.stdout).toContain('3 of 3 recorded frames in 1 days are intact; 0 problems')

    const frame = join(dir, 'frames', '2026-11-21', '100000.jpg')
    const bytes = await readFile(frame)
    const middle = bytes.length >> 1
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle)
    await writeFile(frame, bytes)
    await rm(join(dir, 'frames', '2026-11-21', '110000.jpg'))
    const broken = await runFarm(['capture', 'verify', '--dir', dir])
    expect(broken.exitCode).toBe(1)
    expect(broken.stdout).toMatch(/corrupt +2026-11-21\/100000\.jpg: sha256/)
    expect(broken.stdout).toMatch(
      /missing +2026-11-21\/110000\.jpg: recorded in the manifest but not on disk/,
    )
    expect(broken.stdout).toContain('1 of 3 recorded frames in 1 days are intact; 2 problems')

    await rm(join(dir, 'timelapse', '2026-11-21.mp4'))
    await writeFile(frame, await readFile(join(dir, 'frames', '2026-11-21', '120000.jpg')))
    await writeFile(join(dir, 'frames', '2026-11-21', '110000.jpg'), await readFile(frame))
    const rebuilt = await runFarm(['capture', '--rebuild', '2026-11-21', '--dir', dir])
    expect(rebuilt.exitCode).toBe(0)
    expect(rebuilt.stdout.trim()).toBe(join(dir, 'timelapse', '2026-11-21.mp4'))
    expect((await probeVideo(join(dir, 'timelapse', '2026-11-21.mp4'))).frames).toBe(3)
  })

  it('after a crash, a restart removes half-written files and records a whole frame the manifest missed', async () => {
    const dir = await tempDir()
    const { capturer, captureAt } = clockedCapturer(dir)
    await captureAt(['2026-11-21T10:00:00Z'])
    const half = join(dir, 'frames', '2026-11-21', '.tmp-0a1b2c3d4e5f-110000.jpg')
    await writeFile(half, (await readFile(join(dir, 'frames', '2026-11-21', '100000.jpg'))).subarray(0, 100))
    await writeFile(join(dir, 'timelapse', '.tmp-0a1b2c3d4e5f-2026-11-21.mp4'), 'partial')
    // Renamed into place, then the crash came before the manifest was written.
    await writeFile(
      join(dir, 'frames', '2026-11-21', '120000.jpg'),
      await readFile(join(dir, 'frames', '2026-11-21', '100000.jpg')),
    )
    await capturer.recover()
    expect((await execa('ls', ['-A', join(dir, 'frames', '2026-11-21')])).stdout.split('\n')).toEqual([
      '100000.jpg',
      '120000.jpg',
      'manifest.json',
    ])
    expect((await manifest(dir, '2026-11-21')).frames.map((f) => f.file)).toEqual([
      '100000.jpg',
      '120000.jpg',
    ])
    await stat(join(dir, 'thumbs', '2026-11-21', '120000.jpg'))
    expect((await probeVideo(join(dir, 'timelapse', '2026-11-21.mp4'))).frames).toBe(2)
    expect((await execa('ls', ['-A', join(dir, 'timelapse')])).stdout.split('\n')).toEqual([
      '2026-11-21.jpg',
      '2026-11-21.mp4',
    ])
    const verified = await runFarm(['capture', 'verify', '--dir', dir, '--json'])
    expect(JSON.parse(verified.stdout)).toMatchObject({ frames: 2, ok: 2, problems: [] })
  })

  it('refuses bad usage with exit 2 and a message naming the option', async () => {
    const bad = await runFarm(['capture', '--cron', 'every hour', '--source', 'test:'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain("cron expression 'every hour' is not valid")
    const noSource = await runFarm(['capture', '--hourly'])
    expect(noSource.exitCode).toBe(2)
    expect(noSource.stderr).toContain('--source is required')
  })
})
