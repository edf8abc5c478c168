import { createHash } from 'node:crypto'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { execa } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { RemoteBackup } from '../../src/capture/index.ts'
import { clockedCapturer } from '../helpers/capture.ts'
import { type FarmChild, runFarm, tempDir } from '../helpers/farm.ts'
import { rcloneEnv, rcloneServer, useRcloneEnv, webhookServer } from '../helpers/rclone.ts'
import { spawnWatched } from '../helpers/watched.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()))
})

/** Every file below `root`, as relative path -> sha256. */
async function tree(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile())
        files.set(
          relative(root, path),
          createHash('sha256')
            .update(await readFile(path))
            .digest('hex'),
        )
    }
  }
  await walk(root)
  return files
}

/** The capture layout's files in `dir` (what goes to the remote), without farm's own state. */
async function layout(dir: string): Promise<Map<string, string>> {
  const all = await tree(dir)
  for (const path of all.keys()) if (!/^(frames|thumbs|timelapse)\//.test(path)) all.delete(path)
  return all
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** One byte in the middle of the file flipped: the size stays, the content does not. */
async function corrupt(file: string): Promise<void> {
  const bytes = await readFile(file)
  bytes[bytes.length >> 1]! ^= 0xff
  await writeFile(file, bytes)
}

/** A capture directory, and a remote served by rclone from a store folder of its own. */
async function served(kind: 'webdav' | 'sftp', envDir?: 'dir' | 'store') {
  const dir = await tempDir()
  const store = await tempDir()
  const env = await rcloneEnv(envDir === 'dir' ? dir : store)
  const server = await rcloneServer(kind, store, env)
  cleanups.push(() => server.stop())
  return { dir, store, env, server }
}

/** `farm capture` arguments for one small frame now, in UTC, backed up to `remote`. */
function backedUpOnce(dir: string, remote: string): string[] {
  return ['--once', '--source', 'test:160x120', '--dir', dir, '--tz', 'UTC', '--backup-remote', remote]
}

function daemon(args: string[], env: Record<string, string>) {
  const { child, output } = spawnWatched(['capture', ...args, '--tz', 'UTC'], { env })
  return { child, log: output }
}

async function rcloneChildOf(child: FarmChild): Promise<number | undefined> {
  const found = await execa('pgrep', ['-P', String(child.pid), '-x', 'rclone'], { reject: false })
  const pid = Number(found.stdout.trim().split('\n')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

describe('farm capture --backup-remote', () => {
  it('sends every file of the layout to a local-disk remote; verify --remote finds a corrupted, a deleted and an extra file, and the next run mends what it can', async () => {
    const dir = await tempDir()
    const remote = join(await tempDir(), 'bucket')
    const env = await rcloneEnv(dir)
    const args = backedUpOnce(dir, remote)
    const once = () => runFarm(['capture', ...args], { env })
    expect((await once()).exitCode).toBe(0)
    await new Promise((r) => setTimeout(r, 1_100))
    expect((await once()).exitCode).toBe(0)
    const local = await layout(dir)
    expect([...local.keys()].filter((p) => p.startsWith('frames/') && p.endsWith('.jpg'))).toHaveLength(2)
    expect(await tree(remote)).toEqual(local)

    const clean = await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir], { env })
    expect(clean.exitCode).toBe(0)
    expect(clean.stdout).toContain(`7 files of 1 days compared with ${remote}: 7 by sha256; 0 problems`)

    const [day] = await readdir(join(dir, 'frames'))
    const [first, second] = (await readdir(join(remote, 'frames', day!)))
      .filter((n) => n !== 'manifest.json')
      .sort()
    const corrupted = join(remote, 'frames', day!, first!)
    await corrupt(corrupted)
    await rm(join(remote, 'thumbs', day!, second!))
    await writeFile(join(remote, 'frames', day!, '235959.jpg'), 'not ours')
    const broken = await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir], { env })
    expect(broken.exitCode).toBe(1)
    expect(broken.stdout).toMatch(
      new RegExp(`differs +frames/${day}/${first}: sha256 [0-9a-f]{12}\\.\\.\\. on the remote`),
    )
    expect(broken.stdout).toContain(`missing-remote thumbs/${day}/${second}: on disk here, not on ${remote}`)
    expect(broken.stdout).toContain(
      `missing-local  frames/${day}/235959.jpg: on the remote, not on disk here`,
    )
    expect(broken.stdout).toContain('3 problems (2 files queued to be sent again)')

    // The next capture sends the two again; the stranger stays the user's to decide about.
    await new Promise((r) => setTimeout(r, 1_100))
    expect((await once()).exitCode).toBe(0)
    const after = await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir, '--json'], { env })
    expect(after.exitCode).toBe(1)
    expect(JSON.parse(after.stdout).problems).toEqual([
      {
        path: `frames/${day}/235959.jpg`,
        problem: 'missing-local',
        detail: 'on the remote, not on disk here',
      },
    ])
    await rm(join(remote, 'frames', day!, '235959.jpg'))
    expect((await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir], { env })).exitCode).toBe(0)
  })

  it("where the remote keeps md5 or sha1 and no sha256 (SFTP here, as S3 keeps md5), compares its hashes with the card's files", async () => {
    const { dir, store, env, server: sftp } = await served('sftp')
    const remote = sftp.remote('pi')
    const args = backedUpOnce(dir, remote)
    expect((await runFarm(['capture', ...args], { env })).exitCode).toBe(0)
    expect(await tree(join(store, 'pi'))).toEqual(await layout(dir))
    const clean = await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir], { env })
    expect(clean.stdout).toMatch(
      /5 files of 1 days compared with :sftp,host=127\.0\.0\.1,port=\d+,user=farm,pass=\*\*\*:pi: 5 by sha1; 0 problems/,
    )
    expect(clean.exitCode).toBe(0)

    const [day] = await readdir(join(dir, 'frames'))
    const [name] = (await readdir(join(store, 'pi', 'frames', day!))).filter((n) => n.endsWith('.jpg'))
    const file = join(store, 'pi', 'frames', day!, name!)
    await corrupt(file)
    const broken = await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir], { env })
    expect(broken.exitCode).toBe(1)
    expect(broken.stdout).toMatch(
      new RegExp(
        `differs +frames/${day}/${name}: sha1 [0-9a-f]{12}\\.\\.\\. on the remote, [0-9a-f]{12}\\.\\.\\. here`,
      ),
    )
  })

  it('mends a partial upload: killed mid-transfer with rclone, the next run sends the file whole', async () => {
    const dir = await tempDir()
    const remote = join(await tempDir(), 'bucket')
    const env = await rcloneEnv(dir)
    const args = ['--once', '--source', 'test:1920x1080', '--dir', dir, '--backup-remote', remote]
    const { child } = daemon([...args, '--backup-bwlimit', '20k'], env)
    let frame = ''
    await until('a frame half uploaded', async () => {
      const [day] = await readdir(join(remote, 'frames')).catch(() => [])
      const [name] =
        day === undefined
          ? []
          : (await readdir(join(remote, 'frames', day))).filter((n) => n.endsWith('.jpg'))
      if (name === undefined) return false
      frame = `frames/${day}/${name}`
      return (await stat(join(remote, frame))).size > 0
    })
    // A power cut: farm and its rclone both die at once.
    const rclone = await rcloneChildOf(child)
    child.kill('SIGKILL')
    if (rclone !== undefined) process.kill(rclone, 'SIGKILL')
    await child
    const partial = (await stat(join(remote, frame))).size
    expect(partial).toBeLessThan((await stat(join(dir, frame))).size)
    const seen = await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir], { env })
    expect(seen.exitCode).toBe(1)
    expect(seen.stdout).toMatch(
      new RegExp(`differs +${frame}: ${partial} bytes on the remote, \\d+ in the manifest`),
    )

    await new Promise((r) => setTimeout(r, 1_100))
    expect((await runFarm(['capture', ...args, '--tz', 'UTC'], { env })).exitCode).toBe(0)
    expect(await tree(remote)).toEqual(await layout(dir))
    expect((await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir], { env })).exitCode).toBe(0)
  })

  it('keeps capturing through a WebDAV outage, says backup:failed to its webhook, and catches up when the endpoint is back', async () => {
    const { dir, store, env, server: dav } = await served('webdav', 'dir')
    const hook = await webhookServer()
    cleanups.push(hook.close)
    const remote = dav.remote('pi')
    const shown = remote.replace(/pass=[^:]*/, 'pass=***')
    const quoted = shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const { child, log } = daemon(
      ['--cron', '*/2 * * * * *', '--source', 'test:160x120', '--dir', dir, '--backup-remote', remote].concat(
        ['--backup-retry', '1', '--backup-bwlimit', '1M', '--webhook', hook.url],
      ),
      env,
    )
    const savedFrames = () => log().match(/saved frames\//g)?.length ?? 0
    const remoteFrames = async () =>
      [...(await tree(join(store, 'pi'))).keys()].filter((p) => /^frames\/.*\d{6}\.jpg$/.test(p)).length
    await until('two frames on the WebDAV remote', async () => (await remoteFrames()) >= 2)

    await dav.stop()
    const before = savedFrames()
    await until('three frames captured with the endpoint down', async () => savedFrames() >= before + 3)
    // A failed batch may hold only the day's timelapse (it is rebuilt after each frame): the
    // frames captured in the outage are named by the failures that follow.
    const failures = () => hook.of('backup:failed') as unknown as { files: string[] }[]
    await until('backup:failed naming a frame at the webhook', async () =>
      failures().some((f) => f.files.some((file) => file.startsWith('frames/'))),
    )
    expect(failures()[0]).toMatchObject({ remote: shown, failures: 1, files: expect.any(Array) })
    expect(failures()[0]!.files.length).toBeGreaterThan(0)
    expect(JSON.stringify(hook.bodies)).not.toContain(remote.match(/pass=([^:]*)/)![1])
    expect(log()).toMatch(new RegExp(`WARN  backup: upload to ${quoted} failed \\(\\d+ in a row\\)`))

    await dav.start()
    await until('every frame on the remote again', async () => {
      const local = [...(await layout(dir)).keys()].filter((p) => /^frames\/.*\d{6}\.jpg$/.test(p)).length
      return (await remoteFrames()) >= local && local >= before + 3
    })
    await until('the backup to say the remote is back', async () =>
      /backup: .* answers again after \d+ failed uploads/.test(log()),
    )
    child.kill('SIGTERM')
    expect((await child).exitCode).toBe(0)

    const verified = await runFarm(
      ['capture', 'verify', '--remote', remote, '--dir', dir, '--sample', 'all'],
      { env },
    )
    expect(verified.stdout).toMatch(
      new RegExp(`compared with ${quoted}: \\d+ downloaded and hashed; 0 problems`),
    )
    expect(verified.exitCode).toBe(0)
    expect(await tree(join(store, 'pi'))).toEqual(await layout(dir))

    // WebDAV keeps no hash: a same-size corruption shows only in what is downloaded.
    const [day] = await readdir(join(dir, 'frames'))
    const [name] = (await readdir(join(store, 'pi', 'frames', day!))).filter((n) => n.endsWith('.jpg'))
    const file = join(store, 'pi', 'frames', day!, name!)
    await corrupt(file)
    const sizes = await runFarm(['capture', 'verify', '--remote', remote, '--dir', dir, '--sample', '0'], {
      env,
    })
    expect(sizes.stdout).toMatch(/: \d+ by size only; 0 problems/)
    const sampled = await runFarm(
      ['capture', 'verify', '--remote', remote, '--dir', dir, '--sample', 'all'],
      { env },
    )
    expect(sampled.exitCode).toBe(1)
    expect(sampled.stdout).toMatch(
      new RegExp(`differs +frames/${day}/${name}: downloaded, sha256 [0-9a-f]{12}\\.\\.\\., expected`),
    )
  })

  it('--keep-days deletes no frame the remote does not hold: kept through the outage, pruned once it is there', async () => {
    const { dir, store, server: dav } = await served('webdav', 'dir')
    cleanups.push(await useRcloneEnv(dir))
    await dav.stop()
    const failures: unknown[] = []
    const backup = await RemoteBackup.start({
      dir,
      remote: dav.remote('pi'),
      log: () => {},
      redact: (t) => t,
      onEvent: (e) => failures.push(e),
      maxBackoffMs: 200,
    })
    cleanups.push(() => backup.stop())
    const { captureAt } = clockedCapturer(dir, {
      keepDays: 1,
      mayPrune: (day) => backup.mayPrune(day),
      onEvent: (e) => backup.onCaptureEvent(e),
    })
    await captureAt(['2026-11-20T12:00:00Z'])
    await backup.settled()
    expect(failures.length).toBeGreaterThan(0)
    // The next day: the 20th is past --keep-days 1, but nothing of it reached the remote.
    await captureAt(['2026-11-21T12:00:00Z', '2026-11-21T12:01:00Z'])
    expect(await readdir(join(dir, 'frames', '2026-11-20'))).toEqual(['120000.jpg', 'manifest.json'])

    await dav.start()
    await until('the 20th on the remote', async () =>
      (await tree(join(store, 'pi'))).has('thumbs/2026-11-20/120000.jpg'),
    )
    await backup.settled()
    // The first tick after asks the remote (in the background), the next one prunes.
    await captureAt(['2026-11-21T12:02:00Z'])
    await backup.settled()
    await captureAt(['2026-11-21T12:03:00Z'])
    expect(await readdir(join(dir, 'frames', '2026-11-20'))).toEqual(['manifest.json'])
    const kept = await tree(join(store, 'pi'))
    expect(kept.has('frames/2026-11-20/120000.jpg')).toBe(true)
    expect(kept.has('thumbs/2026-11-20/120000.jpg')).toBe(true)
  })

  it('after a restart sends only what changed: a finished day is checked by its manifest and video, not frame by frame', async () => {
    const dir = await tempDir()
    const remote = join(await tempDir(), 'bucket')
    cleanups.push(await useRcloneEnv(dir))
    const start = () =>
      RemoteBackup.start({ dir, remote, log: () => {}, redact: (t) => t, onEvent: () => {} })
    let backup = await start()
    cleanups.push(() => backup.stop())
    const { capturer, captureAt } = clockedCapturer(dir, { onEvent: (e) => backup.onCaptureEvent(e) })
    await captureAt(['2026-11-20T10:00:00Z', '2026-11-20T11:00:00Z', '2026-11-21T12:00:00Z'])
    await backup.settled()
    // One folder of records for the one remote this directory was sent to.
    const [id] = await readdir(join(dir, 'backup-remote'))
    const journal = join(dir, 'backup-remote', id!, 'days', '2026-11-20.jsonl')
    // The 20th is over and all of it is on the remote: recorded complete, its journal one line a file.
    await stat(join(dir, 'backup-remote', id!, 'days', '2026-11-20.complete'))
    const recorded = await readFile(journal, 'utf8')
    expect(recorded.trim().split('\n')).toHaveLength(7)
    await backup.stop()

    backup = await start()
    await backup.scanAll()
    await backup.settled()
    expect(await readFile(journal, 'utf8')).toBe(recorded)

    // `farm capture --rebuild` in another process: the new video goes at the next start.
    await backup.stop()
    await capturer.rebuild('2026-11-20')
    backup = await start()
    await backup.scanAll()
    await backup.settled()
    expect((await readFile(journal, 'utf8')).length).toBeGreaterThan(recorded.length)
    expect(await tree(remote)).toEqual(await layout(dir))
  })

  it('refuses a remote rclone cannot make sense of, a missing rclone and bad hook options with exit 2, writing nothing', async () => {
    const dir = await tempDir()
    const env = await rcloneEnv(await tempDir())
    const run = (args: string[], extra: Record<string, string> = {}) =>
      runFarm(['capture', '--once', '--source', 'test:64x48', '--dir', dir, ...args], {
        env: { ...env, ...extra },
      })
    const unknown = await run(['--backup-remote', 'garden:pi'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain(
      "backup remote 'garden:pi' is not usable: Failed to backend: didn't find section in config file; give a remote from `rclone listremotes`",
    )
    const backend = await run(['--backup-remote', ':nosuch,secret_key=Sh0uldNotShow:pi'])
    expect(backend.exitCode).toBe(2)
    expect(backend.stderr).toContain("backup remote ':nosuch,secret_key=***:pi' is not usable")
    expect(backend.stderr).not.toContain('Sh0uldNotShow')
    const missing = await run(['--backup-remote', join(dir, 'remote')], {
      FARM_RCLONE: join(dir, 'no-rclone'),
    })
    expect(missing.exitCode).toBe(2)
    expect(missing.stderr).toContain(
      '--backup-remote uploads with rclone, which is not installed: sudo apt-get install rclone',
    )
    const bw = await run(['--backup-remote', join(dir, 'remote'), '--backup-bwlimit', 'fast'])
    expect(bw.exitCode).toBe(2)
    expect(bw.stderr).toContain("--backup-bwlimit 'fast' is not a rate such as 1M or 512k")
    const hook = await run(['--webhook', 'ftp://x', '--on-event', 'true'])
    expect(hook.exitCode).toBe(2)
    expect(hook.stderr).toContain("--webhook 'ftp://x' is not valid: give an http:// or https:// URL")
    expect(await readdir(dir)).toEqual([])
  })
})
