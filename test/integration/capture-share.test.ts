import { createHash } from 'node:crypto'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { exitOf, type FarmChild, freePort, runFarm, spawnFarm, tempDir } from '../helpers/farm.ts'
import { startNode, waitFor } from '../helpers/p2p-nodes.ts'

const children = new Set<FarmChild>()

afterEach(async () => {
  await Promise.all([...children].map((child) => stop(child)))
})

async function stop(child: FarmChild): Promise<void> {
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await child
  clearTimeout(timer)
  children.delete(child)
}

/** A `farm capture` child and what it logged so far. */
function capture(args: string[]): { child: FarmChild; log: string[] } {
  const child = spawnFarm(['capture', '--source', 'test:64x48', '--tz', 'UTC', ...args])
  children.add(child)
  const log: string[] = []
  child.all?.on('data', (chunk: Buffer) => log.push(chunk.toString()))
  return { child, log }
}

async function withoutMdns(home: string): Promise<void> {
  const file = join(home, 'config.json')
  const config = JSON.parse(await readFile(file, 'utf8'))
  await writeFile(file, JSON.stringify({ ...config, mdns: false }))
}

interface Manifest {
  day: string
  frames: { file: string; sha256: string }[]
}

async function manifestOf(dir: string): Promise<Manifest | undefined> {
  const days = await readdir(join(dir, 'frames')).catch(() => [])
  const day = days.sort().at(-1)
  if (day === undefined) return undefined
  return JSON.parse(await readFile(join(dir, 'frames', day, 'manifest.json'), 'utf8').catch(() => '{}'))
}

async function sha256(path: string): Promise<string | undefined> {
  const bytes = await readFile(path).catch(() => undefined)
  return bytes && createHash('sha256').update(bytes).digest('hex')
}

/** Two Pis of one swarm: pi-a shares its captures, pi-b keeps backups of them. */
async function twoPis() {
  const root = await tempDir('farm-share-')
  const homeA = join(root, 'home-a')
  const homeB = join(root, 'home-b')
  const invite = await runFarm([
    'init',
    '--home',
    homeA,
    '--name',
    'pi-a',
    '--owner',
    'ana',
    '--listen',
    `/ip4/127.0.0.1/tcp/${await freePort()}`,
  ])
  expect(invite.exitCode, invite.all).toBe(0)
  // Joining once makes pi-b's home for the swarm; pi-a is not up yet, which it only logs.
  const first = await startNode(homeB, [invite.stdout.trim(), '--name', 'pi-b', '--owner', 'bob'])
  await first.stop()
  await Promise.all([withoutMdns(homeA), withoutMdns(homeB)])
  return {
    homeA,
    homeB,
    dirA: join(root, 'capture-a'),
    dirB: join(root, 'capture-b'),
    backups: join(root, 'backups'),
  }
}

describe('farm capture --share with a peer keeping backups', () => {
  it('copies every frame to the backup with its hash, and verify --peers finds a deleted copy', async () => {
    const pis = await twoPis()
    const backupOf = (m: Manifest, file: string) => join(pis.backups, 'pi-a', 'frames', m.day, file)
    const rare = ['--cron', '0 0 0 1 1 *']
    const runBackup = () =>
      capture(['--share', '--home', pis.homeB, '--dir', pis.dirB, '--backup', pis.backups, ...rare])
    // pi-a first: pi-b dials it at start (pi-a knows no address of pi-b yet).
    const a = capture(['--share', '--home', pis.homeA, '--dir', pis.dirA, '--cron', '*/2 * * * * *'])
    await waitFor(
      () => a.log.join('').includes('sharing captures on the swarm'),
      'pi-a to share',
      30_000,
      a.child,
    )
    let b = runBackup()

    const backedUp = async () => {
      const m = await manifestOf(pis.dirA)
      if (m === undefined || (m.frames?.length ?? 0) < 3) return undefined
      const hashes = await Promise.all(m.frames.map((f) => sha256(backupOf(m, f.file))))
      return hashes.every((h, i) => h === m.frames[i]!.sha256) ? m : undefined
    }
    await waitFor(backedUp, 'three frames of pi-a backed up on pi-b', 60_000, a.child)
    expect(b.log.join('')).toMatch(/backed up pi-a\/frames\/\d{4}-\d{2}-\d{2}\/\d{6}\.jpg/)
    await stop(a.child)
    const manifest = (await backedUp())!
    const count = manifest.frames.length

    // With no capture process running, verify --peers starts the node itself to ask pi-b.
    const verify = () => runFarm(['capture', 'verify', '--peers', '--home', pis.homeA, '--dir', pis.dirA])
    const allThere = await verify()
    expect(allThere.exitCode, allThere.all).toBe(0)
    expect(allThere.stdout).toContain(
      `${count} frames recorded here, ${count} shared; backups on pi-b (${count} of ${count}); 0 problems`,
    )

    const lost = manifest.frames[1]!.file
    await rm(backupOf(manifest, lost))
    const oneLost = await verify()
    expect(oneLost.exitCode, oneLost.all).toBe(1)
    expect(oneLost.stdout).toMatch(
      new RegExp(`missing-on-peer +${manifest.day}/${lost}: no backup copy on pi-b \\(12D3KooW`),
    )
    expect(oneLost.stdout).toContain(`backups on pi-b (${count - 1} of ${count}); 1 problem`)

    // A running `capture --share` answers verify --peers over its control socket; a restarted
    // backup catches up from the ledger and restores the lost copy.
    const again = capture(['--share', '--home', pis.homeA, '--dir', pis.dirA, ...rare])
    await waitFor(
      () => again.log.join('').includes('sharing captures on the swarm'),
      'pi-a to share',
      30_000,
      again.child,
    )
    await stop(b.child)
    b = runBackup()
    await waitFor(
      async () => (await sha256(backupOf(manifest, lost))) === manifest.frames[1]!.sha256,
      'the lost copy back',
      30_000,
      b.child,
    )
    const restored = await waitFor(async () => {
      const result = await verify()
      return result.exitCode === 0 ? result : undefined
    }, 'verify --peers through the running capture to pass')
    expect(restored.stdout).toContain(`backups on pi-b (${count} of ${count}); 0 problems`)
    expect(exitOf(again.child) ?? 'running').toBe('running')
  })

  it('says what to run when --home is no node home, and refuses a --backup inside --dir', async () => {
    const root = await tempDir('farm-share-bad-')
    const noHome = await runFarm([
      'capture',
      '--once',
      '--share',
      '--source',
      'test:64x48',
      '--home',
      join(root, 'nothing'),
      '--dir',
      join(root, 'capture'),
    ])
    expect(noHome.exitCode).toBe(2)
    expect(noHome.stderr).toContain(
      `${join(root, 'nothing')} is not a farm node home: run \`farm init --home`,
    )
    const inside = await runFarm([
      'capture',
      '--share',
      '--backup',
      join(root, 'capture', 'backups'),
      '--source',
      'test:',
      '--dir',
      join(root, 'capture'),
    ])
    expect(inside.exitCode).toBe(2)
    expect(inside.stderr).toContain('overlaps --dir')
    const noShare = await runFarm(['capture', '--backup', join(root, 'b'), '--source', 'test:'])
    expect(noShare.exitCode).toBe(2)
    expect(noShare.stderr).toContain('add --share --home HOME')
  })
})
