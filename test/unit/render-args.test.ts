import { describe, expect, it } from 'vitest'
import { command } from '../../src/cli/render.ts'
import { blenderArgs, blenderSetup } from '../../src/render/blender.ts'
import { povrayArgs } from '../../src/render/povray.ts'
import type { ChunkRequest } from '../../src/render/renderer.ts'

const request: ChunkRequest = {
  scene: '/scenes/city/city.pov',
  frames: [11, 12, 13],
  animation: { first: 1, last: 120 },
  size: { width: 640, height: 480 },
  threads: 1,
  workDir: '/out/.chunk',
}

describe('POV-Ray command line', () => {
  it('keeps the clock of the whole animation while rendering a chunk of it', () => {
    const args = povrayArgs(request)
    expect(args).toEqual(
      expect.arrayContaining(['+KFI1', '+KFF120', '+SF11', '+EF13', '+W640', '+H480', '+WT1']),
    )
  })

  it('finds includes beside the scene and takes quality and anti-aliasing options', () => {
    expect(povrayArgs(request)).toEqual(expect.arrayContaining(['+L/scenes/city', '+A0.3', '+Q9']))
    const args = povrayArgs({ ...request, povray: { antialias: false, quality: 4 } })
    expect(args).toEqual(expect.arrayContaining(['-A', '+Q4']))
  })
})

describe('Blender command line', () => {
  it('renders the chunk as PNG with the size override set before rendering', () => {
    const args = blenderArgs({ ...request, scene: '/scenes/top.blend', threads: 2 })
    // Python a .blend carries (text blocks, drivers) never runs: --disable-autoexec, always.
    expect(args.slice(0, 5)).toEqual([
      '-b',
      '--factory-startup',
      '--disable-autoexec',
      '-noaudio',
      '/scenes/top.blend',
    ])
    expect(args.at(-1)).toBe('-a')
    expect(args.join(' ')).toContain('-F PNG -x 1 -t 2 -s 11 -e 13 -a')
    expect(args.indexOf('--python-expr')).toBeLessThan(args.indexOf('-a'))
  })

  it('turns denoising off only where this Blender lacks OpenImageDenoise', () => {
    const setup = blenderSetup({ size: { width: 64, height: 48 } })
    expect(setup).toContain('s.render.resolution_x = 64')
    expect(setup).toContain("getattr(_cycles, 'with_openimagedenoise', True)")
    expect(blenderSetup({})).not.toContain('resolution_x')
  })
})

describe('farm render arguments', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /give a scene file/],
    [['scene.pov'], /--frames/],
    [['scene.pov', '--frames', '9-3'], /reversed/],
    [['scene.pov', '--frames', 'all'], /not numbers/],
    [['scene.pov', '--frames', '1-3', '--size', '640'], /not WIDTHxHEIGHT/],
    [['scene.pov', '--frames', '1-3', '--jobs', '0'], /--jobs '0'/],
    [['scene.pov', '--frames', '1-3', '--fps', 'fast'], /--fps 'fast'/],
    [['scene.pov', '--frames', '1-3', '--antialias', 'lots'], /--antialias 'lots'/],
    [['scene.pov', '--frames', '1-3', '--bogus'], /Unknown option '--bogus'/],
    [['a.pov', 'b.pov', '--frames', '1-3'], /one scene at a time/],
  ]
  for (const [argv, message] of cases) {
    it(`refuses ${argv.join(' ') || 'no arguments'} with exit code 2`, async () => {
      const err = await command.run(argv).catch((e: unknown) => e)
      expect((err as Error).message).toMatch(message)
      expect((err as { exitCode: number }).exitCode).toBe(2)
    })
  }
})
