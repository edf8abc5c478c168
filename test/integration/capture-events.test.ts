import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import jpeg from 'jpeg-js'
import { afterEach, describe, expect, it } from 'vitest'
import type { CaptureEvent } from '../../src/capture/index.ts'
import { clockedCapturer } from '../helpers/capture.ts'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { startCluster, stopNode } from '../helpers/farm-cluster.ts'
import { webhookServer } from '../helpers/rclone.ts'
import { probeVideo } from '../helpers/render-video.ts'
import { spawnWatched } from '../helpers/watched.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()))
})

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** A hook script that appends `FARM_EVENT|FARM_FRAME|FARM_VIDEO|<stdin>` to the file it is given. */
async function recordingHook(dir: string): Promise<{ argv: string; lines: () => Promise<string[]> }> {
  const script = join(dir, 'record.sh')
  const out = join(dir, 'hook.log')
  await writeFile(
    script,
    '#!/bin/sh\n{ printf "%s|%s|%s|" "$FARM_EVENT" "$FARM_FRAME" "$FARM_VIDEO"; cat; } >> "$1"\n',
    {
      mode: 0o755,
    },
  )
  return {
    argv: `${script} "${out}"`,
    lines: async () => (await readFile(out, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  }
}

/** A camera whose answers cycle through the given statuses. */
async function camera(statuses: number[]) {
  let served = 0
  const image = Buffer.from(
    jpeg.encode({ data: Buffer.alloc(64 * 48 * 4, 150), width: 64, height: 48 }, 85).data,
  )
  const server: Server = createServer((_req, res) => {
    const status = statuses[served++ % statuses.length]!
    if (status === 200) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(image)
    else res.writeHead(status).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/snap.jpg`
}

describe('capture events', () => {
  it('drive an --on-event command, a --webhook and `farm events --follow` with the same JSON', async () => {
    const dir = await tempDir()
    const hook = await recordingHook(dir)
    const web = await webhookServer()
    cleanups.push(web.close)
    const source = await camera([200, 500, 200])
    const { child: capture } = spawnWatched(
      ['capture', '--cron', '*/2 * * * * *', '--source', source, '--dir', dir, '--tz', 'UTC'].concat([
        '--on-event',
        hook.argv,
        '--webhook',
        web.url,
      ]),
    )
    await until(
      'the capture socket',
      async () => (await readFile(join(dir, 'capture.sock')).catch((e) => e.code)) !== 'ENOENT',
    )
    const { child: follow, output: followed } = spawnWatched(['events', '--follow', '--dir', dir, '--json'])
    await until('two frames saved and one missed, seen by all three', async () => {
      const lines = await hook.lines()
      const saved = lines.filter((l) => l.startsWith('frame:saved|')).length
      return (
        saved >= 2 &&
        lines.some((l) => l.startsWith('frame:missed|')) &&
        web.of('frame:saved').length >= 2 &&
        web.of('frame:missed').length >= 1 &&
        (followed().match(/"type":"frame:saved"/g)?.length ?? 0) >= 2
      )
    })
    capture.kill('SIGTERM')
    expect((await capture).exitCode).toBe(0)
    // The capture stopped: the follower's stream ends with it.
    expect((await follow).exitCode).toBe(0)

    const lines = await hook.lines()
    const saved = lines.filter((l) => l.startsWith('frame:saved|')).map((l) => l.split('|'))
    const first = JSON.parse(saved[0]![3]!) as Extract<CaptureEvent, { type: 'frame:saved' }>
    expect(saved[0]![1]).toBe(first.path)
    expect(first).toMatchObject({
      type: 'frame:saved',
      width: 64,
      height: 48,
      path: join(dir, 'frames', first.day, first.file),
    })
    expect((await readFile(first.path)).length).toBe(first.size)
    expect(web.of('frame:saved')[0]).toEqual(first)
    const rebuilt = lines.find((l) => l.startsWith('timelapse:rebuilt|'))!.split('|')
    expect(rebuilt[2]).toBe(join(dir, 'timelapse', `${first.day}.mp4`))
    const missed = web.of('frame:missed')[0]!
    expect(missed).toMatchObject({ reason: 'error', message: expect.stringContaining('HTTP 500') })

    const streamed = followed()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
    expect(Object.keys(streamed[0]!).slice(0, 3)).toEqual(['ts', 'level', 'type'])
    // The follower came after the first frame: it sees what happened since.
    const { level, ...savedAsStreamed } = streamed.find((e) => e.type === 'frame:saved')!
    expect(level).toBe('info')
    expect(savedAsStreamed).toEqual(web.of('frame:saved').find((e) => e.file === savedAsStreamed.file))
  })

  it('never hold up a capture: a failing command and a webhook that answers 500 are logged, frames go on', async () => {
    const dir = await tempDir()
    const web = await webhookServer()
    web.answer(500)
    cleanups.push(web.close)
    const { child: capture, output: log } = spawnWatched(
      ['capture', '--cron', '* * * * * *', '--source', 'test:64x48', '--dir', dir, '--tz', 'UTC'].concat([
        '--on-event',
        'sh -c "sleep 30"',
        '--webhook',
        web.url,
      ]),
    )
    const started = Date.now()
    await until('four frames', () => (log().match(/saved frames\//g)?.length ?? 0) >= 4)
    expect(Date.now() - started).toBeLessThan(15_000)
    await until(
      'the webhook given up',
      () => log().includes('not delivered after 5 attempts: HTTP 500'),
      60_000,
    )
    // Not capture.kill(): execa would SIGKILL a child still stopping after 5 s.
    process.kill(capture.pid!, 'SIGTERM')
    const stopped = Date.now()
    expect((await capture).exitCode).toBe(0)
    // The hooks' stop grace, not the 30 s of the hung command, nor every queued retry.
    expect(Date.now() - stopped).toBeLessThan(15_000)
    expect(log()).toMatch(/WARN {2}--on-event 'sh': stopping, \S+ of \S+ not delivered/)
  })

  it('say when a day is finalised and pruned (the capturer in-process, on a clock of its own)', async () => {
    const dir = await tempDir()
    const events: CaptureEvent[] = []
    const { captureAt } = clockedCapturer(dir, { keepDays: 1, onEvent: (e) => events.push(e) })
    await captureAt(['2026-11-20T12:00:00Z', '2026-11-21T12:00:00Z'])
    expect(events.map((e) => e.type)).toEqual([
      'frame:saved',
      'timelapse:rebuilt',
      'timelapse:rebuilt',
      'day:finalized',
      'day:pruned',
      'frame:saved',
      'timelapse:rebuilt',
    ])
    expect(events[3]).toMatchObject({
      type: 'day:finalized',
      day: '2026-11-20',
      frames: 1,
      missed: 0,
      path: join(dir, 'timelapse', '2026-11-20.mp4'),
    })
    expect(events[4]).toMatchObject({ type: 'day:pruned', day: '2026-11-20', frames: 1 })
  })
})

describe('farm join events', () => {
  it('drive --on-event and --webhook for job:submitted, job:stitched (with its video) and job:failed', async () => {
    const dir = await tempDir()
    const hook = await recordingHook(dir)
    const web = await webhookServer()
    cleanups.push(web.close)
    const [solo] = await startCluster(['solo'], {
      extraArgs: ['--on-event', hook.argv, '--webhook', web.url],
    })
    cleanups.push(() => stopNode(solo!))
    const { output: followed } = spawnWatched(['events', '--follow', '--home', solo!.home])
    const orbit = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')
    const good = await runFarm(['submit', orbit, '--frames', '1-2', '--size', '32x24', '--home', solo!.home])
    expect(good.exitCode, String(good.all)).toBe(0)
    // Not beside hook.log: a scene's directory is packed whole, and the hook writes to it meanwhile.
    const bad = join(await tempDir(), 'broken.pov')
    await writeFile(bad, '#declare = ;\n')
    const failing = await runFarm(['submit', bad, '--frames', '1-2', '--fail-fast', '--home', solo!.home])
    expect(failing.exitCode, String(failing.all)).toBe(0)
    await until(
      'job:stitched and job:failed at the webhook',
      () => web.of('job:stitched').length === 1 && web.of('job:failed').length === 1,
      120_000,
    )
    expect(web.of('job:stitched')[0]).toMatchObject({ job: String(good.stdout).trim(), frames: 2 })
    expect(web.of('job:failed')[0]).toMatchObject({ job: String(failing.stdout).trim() })
    expect(web.of('job:submitted')).toHaveLength(2)
    expect(web.bodies.some((b) => ['log', 'entries:synced'].includes((b as { type: string }).type))).toBe(
      false,
    )
    await until('the hook to have run for them', async () => {
      const types = (await hook.lines()).map((l) => l.split('|')[0])
      return types.includes('job:stitched') && types.includes('job:failed')
    })
    const stitched = (await hook.lines()).find((l) => l.startsWith('job:stitched|'))!.split('|')
    expect(JSON.parse(stitched.slice(3).join('|'))).toEqual(web.of('job:stitched')[0])
    // FARM_VIDEO: the video in the stitcher's blob store, a playable MP4 of the job's frames.
    expect(stitched[2]).toBe(web.of('job:stitched')[0]!.path)
    expect((await probeVideo(stitched[2]!)).frames).toBe(2)
    expect(followed()).toMatch(/ info {2}job:stitched +job \S+ stitched from 2 frames/)
    expect(followed()).toMatch(/ error job:failed +job broken failed/)
  })
})
