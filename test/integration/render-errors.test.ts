import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { frameFileName, renderFrames, stitchVideo } from '../../src/render/index.ts'
import { FARM_MAIN, REPO_ROOT, runFarm, tempDir } from '../helpers/farm.ts'

const ORBIT = join(REPO_ROOT, 'examples', 'povray', 'orbit.pov')

/** Files a failed run left in DIR that look like results (frames or a video). */
async function results(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).filter((f) => !f.startsWith('.') || f.startsWith('.farm'))
}

describe('farm render refuses bad input with exit code 2 and a message that says what to do', () => {
  it('a missing scene file', async () => {
    const out = await tempDir()
    const result = await runFarm([
      'render',
      join(out, 'nope.pov'),
      '--frames',
      '1-2',
      '--out',
      join(out, 'o'),
    ])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(`scene file ${join(out, 'nope.pov')} does not exist`)
  })

  it('an unknown extension', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'scene.obj'), 'o cube\n')
    const result = await runFarm(['render', join(dir, 'scene.obj'), '--frames', '1-2'], { cwd: dir })
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('is neither a POV-Ray scene (.pov) nor a Blender file (.blend)')
  })

  it('a reversed, empty or non-numeric frame range, and a size that is not WxH', async () => {
    for (const [args, message] of [
      [['--frames', '20-10'], "frame range '20-10' is reversed"],
      [['--frames', ''], "frame range '' is empty"],
      [['--frames', 'one-ten'], "frame range 'one-ten' is not numbers"],
      [['--frames', '1-2', '--size', '640by480'], "size '640by480' is not WIDTHxHEIGHT"],
    ] as const) {
      const result = await runFarm(['render', ORBIT, ...args])
      expect(result.exitCode, message).toBe(2)
      expect(result.stderr).toContain(message)
    }
  })

  it('a renderer that is not installed, with the command that installs it', async () => {
    const emptyPath = await tempDir()
    const out = await tempDir()
    const result = await runFarm(['render', ORBIT, '--frames', '1-2', '--out', out], {
      env: { PATH: emptyPath },
    })
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('povray is not installed: run `sudo apt-get install povray`')
    expect(await results(out)).toEqual([])
  })

  it("a scene that does not parse shows POV-Ray's own error line and leaves no frames", async () => {
    const dir = await tempDir()
    await writeFile(
      join(dir, 'broken.pov'),
      'camera { location <0, 1, -4> look_at 0 }\nsphere { 0, 1 pigmnt { rgb 1 } }\n',
    )
    const out = join(dir, 'out')
    const result = await runFarm([
      'render',
      join(dir, 'broken.pov'),
      '--frames',
      '1-3',
      '--size',
      '64x48',
      '--out',
      out,
    ])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(`scene ${join(dir, 'broken.pov')} does not parse`)
    expect(result.stderr).toMatch(/File '.*broken\.pov' line 2: Parse Error/)
    expect(result.stderr).toMatch(/command: povray .*broken\.pov/)
    expect(await results(out)).toEqual([])
  })

  it('an output directory that cannot be written', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'a-file'), 'not a directory')
    const result = await runFarm(['render', ORBIT, '--frames', '1-2', '--out', join(dir, 'a-file', 'out')])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(`output directory ${join(dir, 'a-file', 'out')} is not writable`)
  })
})

describe('stitching', () => {
  it('refuses when frames of the range are missing or unreadable, names them, and writes no video', async () => {
    const out = await tempDir()
    const size = { width: 64, height: 48 }
    await renderFrames({ scene: ORBIT, frames: [1, 2, 3, 4, 5, 6], size, outDir: out })
    await writeFile(join(out, frameFileName(5)), 'half a png')
    const frames = [1, 2, 3, 4, 5, 6, 7, 8].map((f) => join(out, frameFileName(f)))
    await expect(stitchVideo({ frames, fps: 24, out: join(out, 'video.mp4') })).rejects.toThrow(
      'cannot stitch: frames 5, 7-8 missing or unreadable',
    )
    expect((await readdir(out)).filter((f) => !f.startsWith('frame-'))).toEqual([])
  })
})

/** A tiny filesystem for this test only: tmpfs in a private mount namespace (needs root). */
const canMount =
  (
    await execa(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'],
      { reject: false },
    )
  ).exitCode === 0

function inTinyDisk(disk: string, sizeKb: number, script: string) {
  return execa(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs -o size=${sizeKb}k tmpfs "${disk}" && ${script}`,
    ],
    {
      reject: false,
      all: true,
      env: { FARM: `${process.execPath} ${FARM_MAIN}` },
    },
  )
}

describe('a disk that fills', () => {
  // Mounting a tmpfs needs root (CI and this machine run tests as root); elsewhere there is no
  // way to make a small disk without touching the host, so the test does not run.
  it.skipIf(!canMount)(
    'during render: exit 2, says the disk is full, keeps the finished frames valid',
    async () => {
      const disk = await tempDir()
      const run = await inTinyDisk(
        disk,
        200,
        `$FARM render ${ORBIT} --frames 1-40 --size 64x48 --out ${disk}/out --jobs 1; echo "exit=$?"; ls -a ${disk}/out`,
      )
      expect(run.all).toContain('exit=2')
      expect(run.all).toContain(`the disk holding ${disk}/out is full`)
      const listed = run.stdout.split('\n').filter((l) => l.startsWith('frame-') || l.startsWith('.farm'))
      expect(listed.filter((l) => l.startsWith('.farm'))).toEqual([])
      expect(listed.length).toBeGreaterThan(3)
      expect(listed.length).toBeLessThan(40)
    },
  )

  it.skipIf(!canMount)('during stitch: exit 2, says the disk is full, leaves no partial video', async () => {
    const frames = await tempDir()
    await renderFrames({
      scene: ORBIT,
      frames: [1, 2, 3, 4, 5, 6, 7, 8],
      size: { width: 160, height: 120 },
      outDir: frames,
    })
    const disk = await tempDir()
    // The frames fit; then a filler leaves 12 KiB: room to start, too little for the ~28 KiB video.
    const copy = [1, 2, 3, 4, 5, 6, 7, 8]
      .map((f) => `cp ${join(frames, frameFileName(f))} ${disk}/out/`)
      .join(' && ')
    const fill = `dd if=/dev/zero of=${disk}/filler bs=1k count=$(( $(df -k --output=avail ${disk} | tail -1) - 12 )) 2>/dev/null`
    const run = await inTinyDisk(
      disk,
      400,
      `mkdir ${disk}/out && ${copy} && ${fill}; $FARM render ${ORBIT} --frames 1-8 --size 160x120 --out ${disk}/out; echo "exit=$?"; ls -a ${disk}/out`,
    )
    expect(run.all).toContain('frame 8 kept')
    expect(run.all).toContain('exit=2')
    expect(run.all).toContain(`the disk holding ${disk}/out/video.mp4 is full`)
    expect(run.stdout.split('\n').filter((l) => l.includes('video'))).toEqual([])
  })
})
