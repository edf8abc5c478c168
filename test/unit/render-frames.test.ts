import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chunkSizeFor } from '../../src/render/frames.ts'
import {
  chunkFrames,
  defaultParallelism,
  describeFrames,
  formatFrameList,
  frameFileName,
  frameOfFileName,
  framesOf,
  parseFrameRange,
  parseSize,
  RenderError,
  rendererForScene,
  videoFormatOf,
} from '../../src/render/index.ts'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof RenderError)) throw err
    expect(err.exitCode).toBe(2)
    return err.code
  }
  return undefined
}

describe('parseFrameRange', () => {
  it('reads a range, a single frame and spaces around the dash', () => {
    expect(parseFrameRange('1-120')).toEqual({ first: 1, last: 120 })
    expect(parseFrameRange('42')).toEqual({ first: 42, last: 42 })
    expect(parseFrameRange(' 0 - 9 ')).toEqual({ first: 0, last: 9 })
  })

  it('refuses reversed, empty and non-numeric ranges as bad input', () => {
    expect(() => parseFrameRange('10-1')).toThrow(/reversed/)
    expect(() => parseFrameRange('')).toThrow(/empty/)
    expect(() => parseFrameRange('a-b')).toThrow(/not numbers/)
    expect(() => parseFrameRange('1-')).toThrow(/not numbers/)
    expect(() => parseFrameRange('-3')).toThrow(/not numbers/)
    expect(() => parseFrameRange('1.5-3')).toThrow(/not numbers/)
    expect(codeOf(() => parseFrameRange('10-1'))).toBe('BAD_FRAME_RANGE')
  })

  it('gives exactly last - first + 1 frames for any valid range', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.nat(500), (first, length) => {
        const range = parseFrameRange(`${first}-${first + length}`)
        const frames = framesOf(range)
        expect(frames.length).toBe(length + 1)
        expect(frames[0]).toBe(first)
        expect(frames.at(-1)).toBe(first + length)
      }),
    )
  })
})

describe('parseSize', () => {
  it('reads WxH', () => {
    expect(parseSize('640x480')).toEqual({ width: 640, height: 480 })
    expect(parseSize('64X48')).toEqual({ width: 64, height: 48 })
  })

  it('refuses anything that is not two positive numbers', () => {
    for (const bad of ['640', '640x', 'x480', '0x480', '640*480', '-640x480', 'big']) {
      expect(
        codeOf(() => parseSize(bad)),
        bad,
      ).toBe('BAD_SIZE')
    }
  })
})

describe('frame file names', () => {
  it('sort in frame order and round-trip to the frame number', () => {
    fc.assert(
      fc.property(fc.nat(999_999), fc.nat(999_999), (a, b) => {
        expect(frameOfFileName(frameFileName(a))).toBe(a)
        expect(Math.sign(frameFileName(a).localeCompare(frameFileName(b)))).toBe(Math.sign(a - b))
      }),
    )
    expect(frameFileName(7)).toBe('frame-000007.png')
    expect(frameOfFileName('video.mp4')).toBeUndefined()
  })
})

describe('chunkFrames', () => {
  it('cuts runs of consecutive frames no longer than the chunk size', () => {
    expect(chunkFrames([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]])
    expect(chunkFrames([5, 1, 2, 9, 10], 4)).toEqual([[1, 2], [5], [9, 10]])
  })

  it('covers every frame exactly once with consecutive chunks', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(300), { maxLength: 120 }),
        fc.integer({ min: 1, max: 12 }),
        (frames, size) => {
          const chunks = chunkFrames(frames, size)
          expect(chunks.flat()).toEqual([...frames].sort((a, b) => a - b))
          for (const chunk of chunks) {
            expect(chunk.length).toBeGreaterThan(0)
            expect(chunk.length).toBeLessThanOrEqual(size)
            chunk.forEach((frame, i) => {
              if (i > 0) expect(frame).toBe(chunk[i - 1]! + 1)
            })
          }
        },
      ),
    )
  })

  it('keeps every worker busy: at least four chunks per worker until chunks reach ten frames', () => {
    expect(chunkSizeFor(60, 2)).toBe(8)
    expect(chunkSizeFor(3, 2)).toBe(1)
    expect(chunkSizeFor(10_000, 2)).toBe(10)
  })
})

describe('defaultParallelism', () => {
  it('runs one POV-Ray per core, and gives spare cores to the processes when frames are few', () => {
    expect(defaultParallelism('povray', 60, 2)).toEqual({ jobs: 2, threads: 1 })
    expect(defaultParallelism('povray', 1, 4)).toEqual({ jobs: 1, threads: 4 })
  })

  it('runs one Blender on every core', () => {
    expect(defaultParallelism('blender', 60, 8)).toEqual({ jobs: 1, threads: 8 })
  })
})

describe('scene types and frame lists', () => {
  it('refuses a chunk of no frames and a video of no format farm writes, as bad input', () => {
    expect(codeOf(() => chunkFrames([1, 2], 0))).toBe('BAD_CHUNK_SIZE')
    expect(codeOf(() => videoFormatOf('out.avi'))).toBe('BAD_VIDEO_FORMAT')
    expect(() => videoFormatOf('out.avi')).toThrow('name it .mp4, .webm or .gif')
  })

  it('picks the renderer by extension and refuses others', () => {
    expect(rendererForScene('a/b/scene.pov')).toBe('povray')
    expect(rendererForScene('Scene.BLEND')).toBe('blender')
    expect(codeOf(() => rendererForScene('scene.ma'))).toBe('UNKNOWN_SCENE_TYPE')
  })

  it('folds missing frames into readable runs', () => {
    expect(formatFrameList([12, 3, 7, 8, 9])).toBe('3, 7-9, 12')
    expect(formatFrameList([4])).toBe('4')
    expect(formatFrameList([3, 1, 2, 10, 11, 5])).toBe('1-3, 5, 10-11')
    expect(formatFrameList([])).toBe('')
  })

  it('names each frame once, however often it is listed', () => {
    expect(formatFrameList([2, 1, 2, 3, 3])).toBe('1-3')
    expect(describeFrames([7, 7])).toBe('frame 7')
  })

  it('says frames as messages and log lines name them', () => {
    expect(describeFrames([7])).toBe('frame 7')
    expect(describeFrames([7, 8, 9, 10, 11, 12])).toBe('frames 7-12')
    expect(describeFrames([5, 1, 2, 3])).toBe('frames 1-3, 5')
  })
})
