import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'
import { type FarmProcess, farmJson, jobDetail, startCluster, waitFor } from '../helpers/farm-cluster.ts'

/**
 * Hostile scenes of another member, on a real two-node swarm on 127.0.0.1: mallory submits
 * (and renders nothing), victim renders them in its sandbox. Beside victim's home lies a
 * "private" directory no job may read or write.
 *
 * Both nodes share this machine, but mallory would submit from hers: her node traces each scene
 * with POV-Ray or Blender at submission to pack what it reads, and on the victim's machine that
 * would pack the victim's files (or write them) on mallory's side. So her node runs in a
 * bubblewrap mount namespace where the victim's home, its private directory and ESCAPE are
 * empty: the files her scenes name do not exist there, and she submits with --allow-missing.
 */
const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')
const CAMERA = 'camera { location <0,0,-3> look_at 0 }\nlight_source { <0,5,-5> rgb 1 }\n'

let mallory: FarmProcess
let victim: FarmProcess
let priv: string
let config: string
/** A directory in /tmp, which Debian's povray.conf lets a scene write. */
const ESCAPE = `/tmp/farm-escape-${process.pid}`

/** Mallory's machine (see above): this one without the victim's files. */
function mallorysMachine(root: string): string[] {
  const hidden = [join(root, 'victim'), join(root, 'victim-private'), ESCAPE]
  return ['bwrap', '--dev-bind', '/', '/', '--die-with-parent', ...hidden.flatMap((d) => ['--tmpfs', d])]
}

async function submit(dir: string, file: string, args: string[] = []): Promise<string> {
  const result = await runFarm([
    'submit',
    join(dir, file),
    '--frames',
    '1-1',
    '--size',
    '32x24',
    '--attempts',
    '1',
    '--allow-missing',
    ...args,
    '--home',
    mallory.home,
  ])
  if (result.exitCode !== 0) throw new Error(`farm submit failed: ${result.all}`)
  return String(result.stdout).trim()
}

async function povScene(source: string): Promise<string> {
  const dir = await tempDir('farm-hostile-')
  await writeFile(join(dir, 'scene.pov'), source)
  return dir
}

async function settled(job: string, timeoutMs = 90_000): Promise<Awaited<ReturnType<typeof jobDetail>>> {
  let detail = await jobDetail(mallory, job)
  await waitFor(
    async () => {
      detail = await jobDetail(mallory, job)
      return ['failed', 'stitched', 'cancelled'].includes(detail.status)
    },
    timeoutMs,
    `job ${job.slice(0, 8)} to settle`,
  )
  return detail
}

function pgrep(text: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).trim().split('\n').map(Number)
  } catch {
    return []
  }
}

beforeAll(async () => {
  await mkdir(ESCAPE)
  const nodes = await startCluster(['mallory', 'victim'], {
    argsOf: { mallory: ['--no-render'] },
    prefixOf: { mallory: mallorysMachine },
  })
  mallory = nodes[0]!
  victim = nodes[1]!
  priv = join(victim.home, '..', 'victim-private')
  await mkdir(priv, { recursive: true })
  const png = new PNG({ width: 8, height: 8 })
  for (let i = 0; i < png.data.length; i += 4) png.data.set([255, 0, 0, 255], i)
  await writeFile(join(priv, 'secret.png'), PNG.sync.write(png))
  await writeFile(join(priv, 'secret.txt'), '0.5\n')
  config = await readFile(join(victim.home, 'config.json'), 'utf8')
})

afterAll(() => rm(ESCAPE, { recursive: true, force: true }))

describe("another member's POV-Ray scene", () => {
  it('reads no private file, by #fopen or image_map, and each such job fails saying why', async () => {
    const fopen = await povScene(
      `#fopen F "${join(priv, 'secret.txt')}" read\n#read (F, N)\n${CAMERA}sphere { 0, 1 pigment { rgb N } }\n`,
    )
    const imageMap = await povScene(
      `${CAMERA}plane { z, 0 pigment { image_map { png "${join(priv, 'secret.png')}" } scale 4 translate -2 } }\n`,
    )
    const jobs = [await submit(fopen, 'scene.pov'), await submit(imageMap, 'scene.pov')]
    for (const [job, file] of [
      [jobs[0]!, 'secret.txt'],
      [jobs[1]!, 'secret.png'],
    ] as const) {
      const detail = await settled(job)
      expect(detail.status).toBe('failed')
      expect(detail.failed[0]!.worker).toBe(victim.id)
      expect(detail.failed[0]!.error).toContain(file)
      expect(detail.failed[0]!.error).toMatch(/Cannot open|not found/i)
    }
  })

  it("writes nothing outside its job: not the private directory, not /tmp, not the node's home", async () => {
    const escaped = join(ESCAPE, 'written.txt')
    const targets = [join(priv, 'written.txt'), escaped, join(victim.home, 'config.json')]
    const jobs: string[] = []
    for (const target of targets) {
      const dir = await povScene(
        `#fopen A "${target}" write\n#write (A, "owned")\n#fclose A\n${CAMERA}sphere { 0, 1 pigment { rgb 1 } }\n`,
      )
      jobs.push(await submit(dir, 'scene.pov'))
    }
    for (const job of jobs) await settled(job)
    expect(existsSync(join(priv, 'written.txt'))).toBe(false)
    expect(existsSync(escaped)).toBe(false)
    expect(await readFile(join(victim.home, 'config.json'), 'utf8')).toBe(config)
  })

  it('that never ends is killed at --frame-timeout, fails after its attempts, and the worker goes on', async () => {
    const forever = await povScene(`#while (1) #end\n${CAMERA}`)
    const job = await submit(forever, 'scene.pov', ['--frame-timeout', '5s', '--attempts', '2'])
    const detail = await settled(job, 120_000)
    expect(detail.status).toBe('failed')
    expect(detail.failed[0]!.error).toContain("exceeded the job's frame timeout of 5 s")
    expect(pgrep(join(forever, 'scene.pov'))).toEqual([])
    const next = await submit(join(ORBIT, '..'), 'orbit.pov')
    expect((await settled(next)).status).toBe('stitched')
  })
})

describe("another member's .blend", () => {
  let blends: string
  beforeAll(async () => {
    blends = await tempDir('farm-hostile-blends-')
    execFileSync('blender', [
      '-b',
      '--factory-startup',
      '--python',
      join(REPO_ROOT, 'test', 'adversarial', 'hostile-blends.py'),
      '--',
      blends,
      priv,
    ])
  })

  it('is refused, naming the File Output node, the outside image, the text block and the driver', async () => {
    const expected: Record<string, RegExp[]> = {
      fileout: [/compositor File Output node 'Leak'/],
      // Mallory's node packed the image's path as a file inside the archive (//_external/...),
      // which she had not: the victim reads that, never its own file.
      image: [/image "secret\.png" reads \/\/_external\/.*secret\.png: cannot read/],
      python: [/text block 'startup\.py' is registered/, /scripted driver .* runs Python/],
    }
    const jobs = await Promise.all(
      Object.keys(expected).map((name) => submit(join(blends, name), 'scene.blend')),
    )
    for (const [i, name] of Object.keys(expected).entries()) {
      const detail = await settled(jobs[i]!, 120_000)
      expect(detail.status).toBe('failed')
      for (const why of expected[name]!) expect(detail.failed[0]!.error).toMatch(why)
    }
    // An archive a modified client packed with the outside path as it is: the sandbox refuses it.
    const local = await runFarm([
      'render',
      join(blends, 'image', 'scene.blend'),
      '--frames',
      '1-1',
      '--size',
      '32x24',
      '--out',
      await tempDir(),
      '--sandbox',
    ])
    expect(local.exitCode).toBe(2)
    expect(String(local.stderr)).toMatch(
      /image 'secret\.png' reads .*secret\.png, outside the scene's directory/,
    )
    expect(existsSync(join(priv, 'fileout'))).toBe(false)
    expect(existsSync(join(priv, 'pwned-text.txt'))).toBe(false)
    expect(existsSync(join(priv, 'pwned-driver.txt'))).toBe(false)
  })
})

describe('a node killed with kill -9 mid-render', () => {
  it("leaves no renderer running: neither another member's sandboxed one nor its own", async () => {
    const theirs = await povScene(`#while (1) #end\n${CAMERA}`)
    const own = await povScene(`#while (1) #end\n${CAMERA}`)
    // Tracing a scene that never ends at submission stops at its frame timeout (both submit at
    // once, so the two traces overlap); the renders are killed long before theirs.
    const [, ownJob] = await Promise.all([
      submit(theirs, 'scene.pov', ['--frame-timeout', '20s']),
      runFarm([
        'submit',
        join(own, 'scene.pov'),
        '--frames',
        '1-1',
        '--size',
        '32x24',
        '--frame-timeout',
        '20s',
        '--home',
        victim.home,
      ]),
    ])
    expect(ownJob.exitCode, ownJob.all).toBe(0)
    expect(ownJob.all).toContain('POV-Ray was still parsing frame 1 after 20 s')
    // The victim renders both jobs from its scene cache; bwrap's own command line names the
    // same paths, so only processes that are POV-Ray itself count.
    const povrays = () => pgrep(`^\\S*povray \\+I${victim.home}/`)
    await waitFor(async () => povrays().length === 2, 60_000, 'victim to render both scenes')
    victim.proc.kill('SIGKILL')
    await victim.proc.catch(() => undefined)
    try {
      await waitFor(async () => povrays().length === 0, 15_000, 'the renderers to die with their node')
    } finally {
      // When the test fails, what it found must not go on rendering `#while (1)` after it.
      for (const pid of povrays()) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // It ended between the look and the kill.
        }
      }
    }
    const workers = await farmJson<{ id: string }[]>(mallory, ['workers'])
    expect(workers.map((w) => w.id)).toContain(victim.id)
  })
})
