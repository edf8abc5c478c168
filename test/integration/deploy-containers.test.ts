import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs'
import { cp, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobDetail } from '../../src/farm/index.ts'
import { REPO_ROOT, tempDir } from '../helpers/farm.ts'
import { waitFor } from '../helpers/farm-cluster.ts'
import { probeVideo } from '../helpers/render-video.ts'

/**
 * The container image of deploy/Containerfile, built with podman from this checkout, and three
 * containers of it on a podman network of their own rendering a job and stitching its video.
 * Every address is inside podman's network namespaces (the containers listen on their own
 * addresses, mDNS off); nothing is pulled: the base image is made with debootstrap from the
 * Debian mirror, as deploy/debian-base.sh does for a machine that cannot reach a registry.
 *
 * It builds the POV-Ray-only variant (RENDERERS=povray): Blender would add about 3 minutes and
 * 600 MB to a build on a clean CI machine, and this test proves the image's wiring (entrypoint,
 * invite, volume, health check, logs, SIGTERM), not Blender, which the render tests cover.
 */
const CONTAINERFILE = join(REPO_ROOT, 'deploy', 'Containerfile')
const run = `farm-test-${process.pid}`
const BASE = `localhost/${run}-base:bookworm`
const IMAGE = `localhost/${run}:povray`
const NETWORK = run
const SECRET = `${run}-invite`
const NAMES = ['one', 'two', 'three'] as const
const container = (name: string) => `${run}-${name}`
const volume = (name: string) => `${run}-${name}`

function missing(tool: string, args: string[]): string | undefined {
  const probe = spawnSync(tool, args, { encoding: 'utf8' })
  return probe.error || probe.status !== 0
    ? `${tool} is not installed (scripts/setup.sh installs it)`
    : undefined
}

// podman here is rootful, as on the CI machine: its images and networks are the machine's.
const unavailable =
  (process.getuid?.() !== 0 ? 'podman runs as root here and the tests do not' : undefined) ??
  missing('podman', ['--version']) ??
  missing('debootstrap', ['--version'])
if (unavailable !== undefined) process.stderr.write(`deploy-containers: skipped, ${unavailable}\n`)

/**
 * How podman can run a container on this machine: its default runtime, else runc. Debian 12's
 * crun 1.8 refuses a machine whose cgroup v2 hierarchy holds a controller beside the v1 ones
 * ("cgroups in hybrid mode not supported"), as on this VM; runc runs there. The ulimits are
 * below the machine's own: podman's defaults are above them, and raising a limit needs
 * CAP_SYS_RESOURCE, which this machine's root lacks.
 */
interface Podman {
  global: string[]
  run: string[]
  /** Why no container can run here, when none can; the image is still built (chroot isolation). */
  cannotRun?: string
}

const RUN_LIMITS = ['--ulimit', 'nofile=8192:8192', '--ulimit', 'nproc=8192:8192']

async function findRuntime(): Promise<Podman> {
  const failures: string[] = []
  const candidates: [string, string[]][] = [['the default runtime', []]]
  if (spawnSync('runc', ['--version']).status === 0) candidates.push(['runc', ['--runtime', 'runc']])
  else failures.push('runc: not installed')
  for (const [name, global] of candidates) {
    const probe = await execa('podman', [...global, 'run', '--rm', ...RUN_LIMITS, BASE, 'true'], {
      reject: false,
    })
    if (probe.exitCode === 0) return { global, run: RUN_LIMITS }
    failures.push(`${name}: ${probe.stderr.trim().split('\n').at(-1)}`)
  }
  return {
    global: [],
    run: RUN_LIMITS,
    cannotRun: `podman cannot run a container here (${failures.join('; ')})`,
  }
}

let podman: Podman = { global: [], run: [] }
const made = { base: false, image: false, network: false, secret: false, volumes: [] as string[] }

function pod(args: string[], opts: { input?: string; timeout?: number } = {}) {
  return execa('podman', [...podman.global, ...args], {
    reject: false,
    timeout: opts.timeout ?? 120_000,
    ...opts,
  })
}

async function must(args: string[], opts: { input?: string; timeout?: number } = {}): Promise<string> {
  const result = await pod(args, opts)
  if (result.exitCode !== 0)
    throw new Error(`podman ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`)
  return String(result.stdout).trim()
}

/**
 * The build context. A checkout's node_modules is a directory, and the checkout is the context;
 * in a git worktree whose node_modules links to another checkout, podman would refuse the link
 * (it leads out of the context), so the paths the Containerfile copies are staged, node_modules
 * hard-linked.
 */
async function buildContext(): Promise<string> {
  if (!lstatSync(join(REPO_ROOT, 'node_modules')).isSymbolicLink()) return REPO_ROOT
  const stage = await tempDir('farm-image-context-')
  const sources = readFileSync(CONTAINERFILE, 'utf8')
    .split('\n')
    .filter((line) => /^COPY (?!--from)/.test(line))
    .flatMap((line) => line.split(/\s+/).slice(1, -1))
  for (const source of sources) {
    const from = realpathSync(join(REPO_ROOT, source))
    const to = join(stage, source)
    await mkdir(dirname(to), { recursive: true })
    const linked = source === 'node_modules' && spawnSync('cp', ['-al', from, to]).status === 0
    if (!linked) await cp(from, to, { recursive: true })
  }
  return stage
}

async function cleanUp(): Promise<void> {
  await pod(['rm', '--force', '--time', '0', ...NAMES.map(container)])
  if (made.volumes.length > 0) await pod(['volume', 'rm', '--force', ...made.volumes])
  if (made.secret) await pod(['secret', 'rm', SECRET])
  if (made.network) await pod(['network', 'rm', '--force', NETWORK])
  if (made.image) await pod(['rmi', '--force', IMAGE])
  if (made.base) await pod(['rmi', '--force', BASE])
}

afterAll(cleanUp, 120_000)

describe.skipIf(unavailable !== undefined)('the container image', () => {
  beforeAll(async () => {
    let started = Date.now()
    const base = await execa('sh', [join(REPO_ROOT, 'deploy', 'debian-base.sh'), BASE], { reject: false })
    if (base.exitCode !== 0) throw new Error(`deploy/debian-base.sh failed: ${base.stderr}`)
    made.base = true
    const baseSeconds = (Date.now() - started) / 1000
    podman = await findRuntime()
    started = Date.now()
    made.image = true
    await must(
      [
        'build',
        '--format',
        'docker',
        '--layers=false',
        ...(podman.cannotRun ? ['--isolation', 'chroot'] : []),
        '--build-arg',
        `BASE=${BASE}`,
        '--build-arg',
        'RENDERERS=povray',
        '-f',
        CONTAINERFILE,
        '-t',
        IMAGE,
        await buildContext(),
      ],
      { timeout: 900_000 },
    )
    process.stderr.write(
      `deploy-containers: base image made in ${baseSeconds.toFixed(0)} s, farm image built in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    )
    if (podman.cannotRun) process.stderr.write(`deploy-containers: ${podman.cannotRun}\n`)
  }, 1_200_000)

  it('is built from this checkout: farm, POV-Ray, ffmpeg, bubblewrap and tini, no development packages', async () => {
    const [image] = JSON.parse(await must(['image', 'inspect', IMAGE]))
    const config = image.Config
    expect(config.Entrypoint).toEqual(['tini', '--', 'farm-container'])
    expect(image.Healthcheck.Test).toEqual(['CMD', 'farm', 'status', '--health'])
    expect(config.Env).toContain('FARM_HOME=/var/lib/farm')
    expect(Object.keys(config.Volumes)).toEqual(['/var/lib/farm'])
    expect(config.User).toBe('farm')
    const root = await must(['image', 'mount', IMAGE])
    try {
      const present = (path: string) => existsSync(join(root, path))
      expect(present('opt/farm/dist/cli/main.js')).toBe(true)
      expect(present('opt/farm/node_modules/libp2p')).toBe(true)
      expect(present('opt/farm/node_modules/vitest')).toBe(false)
      expect(present('opt/farm/node_modules/typescript')).toBe(false)
      for (const tool of ['povray', 'ffmpeg', 'ffprobe', 'bwrap', 'tini'])
        expect(present(`usr/bin/${tool}`)).toBe(true)
      expect(present('usr/bin/blender')).toBe(false)
    } finally {
      await pod(['image', 'unmount', IMAGE])
    }
  })

  it('runs three containers that render a job together and stitch its video', async (ctx) => {
    if (podman.cannotRun) ctx.skip(podman.cannotRun)
    await must(['network', 'create', NETWORK])
    made.network = true
    for (const name of NAMES) {
      await must(['volume', 'create', volume(name)])
      made.volumes.push(volume(name))
    }
    const home = (name: string) => ['--volume', `${volume(name)}:/var/lib/farm`]
    // No systemd here to run podman's health check timer: the test runs the check itself.
    const start = (name: string, extra: string[]) =>
      must([
        'run',
        '--detach',
        '--name',
        container(name),
        '--network',
        NETWORK,
        '--health-interval',
        'disable',
        '--env',
        'FARM_WUPM=1',
        // The renderers' sandbox mounts a /proc of its own: see the README's Containers.
        '--security-opt',
        'unmask=/proc/*',
        ...podman.run,
        ...home(name),
        ...extra,
        IMAGE,
        '--no-mdns',
      ])
    const init = [
      'run',
      '--rm',
      '--network',
      'none',
      ...podman.run,
      ...home('one'),
      '--entrypoint',
      'farm',
      IMAGE,
    ]
    await must([...init, 'init', '--name', 'one', '--owner', 'studio'])
    await start('one', [])
    const exec = (name: string, args: string[]) => pod(['exec', container(name), 'farm', ...args])
    await waitFor(
      async () => (await exec('one', ['status', '--health'])).exitCode === 0,
      60_000,
      'one to start',
    )
    const invite = String((await exec('one', ['invite'])).stdout).trim()
    expect(invite).toMatch(/^farm2\./)

    // two gets the invite in its environment, three as a mounted secret, as Kubernetes gives either.
    await start('two', ['--env', `FARM_INVITE=${invite}`])
    const secretFile = join(await tempDir(), 'invite')
    await writeFile(secretFile, invite)
    await must(['secret', 'create', SECRET, secretFile])
    made.secret = true
    await start('three', [
      '--secret',
      `${SECRET},target=farm-invite,mode=0444`,
      '--env',
      'FARM_INVITE_FILE=/run/secrets/farm-invite',
    ])
    await waitFor(
      async () => JSON.parse(String((await exec('one', ['peers', '--json'])).stdout)).length === 2,
      60_000,
      'two and three to connect to one',
    )
    // The image's HEALTHCHECK, as podman runs it: `farm status --health` in the container.
    for (const name of NAMES)
      await waitFor(
        async () => (await pod(['healthcheck', 'run', container(name)])).exitCode === 0,
        30_000,
        `${name} to be healthy`,
      )

    await must(['cp', join(REPO_ROOT, 'examples', 'povray'), `${container('one')}:/tmp/scene`])
    const submitted = await exec('one', [
      'submit',
      '/tmp/scene/orbit.pov',
      '--frames',
      '1-24',
      '--size',
      '64x48',
    ])
    expect(submitted.exitCode, String(submitted.stderr)).toBe(0)
    const job = String(submitted.stdout).trim()
    await waitFor(
      async () => (await exec('one', ['fetch', job, '-o', '/tmp/orbit.mp4'])).exitCode === 0,
      180_000,
      'the job to be stitched',
    )
    const out = await tempDir()
    await must(['cp', `${container('one')}:/tmp/orbit.mp4`, join(out, 'orbit.mp4')])
    const video = await probeVideo(join(out, 'orbit.mp4'))
    expect({ frames: video.frames, width: video.width, height: video.height }).toEqual({
      frames: 24,
      width: 64,
      height: 48,
    })
    const detail = JSON.parse(String((await exec('one', ['status', job, '--json'])).stdout)) as JobDetail
    const workers = new Set(detail.frames.map((f) => f.worker))
    expect(workers.size, `frames by ${[...workers].join(', ')}`).toBe(3)

    // Logs: JSON lines on stdout, one event each, and nothing on stderr.
    const logs = await pod(['logs', container('two')])
    const lines = String(logs.stdout).split('\n').filter(Boolean)
    const events = lines.map((line) => JSON.parse(line) as { type: string; level: string })
    expect(events.some((e) => e.type === 'frame:rendered')).toBe(true)
    expect(String(logs.stderr)).toBe('')

    // podman stop is SIGTERM, then SIGKILL after --time: tini passes it on and farm exits 0 in time.
    const stopping = Date.now()
    await must(['stop', '--time', '30', container('two')])
    expect(Date.now() - stopping).toBeLessThan(25_000)
    expect(await must(['inspect', container('two'), '--format', '{{.State.ExitCode}}'])).toBe('0')
    const stopped = JSON.parse(
      String((await pod(['logs', container('two')])).stdout)
        .trim()
        .split('\n')
        .at(-1)!,
    )
    expect(stopped.message).toBe('stopped')
  }, 600_000)
})
