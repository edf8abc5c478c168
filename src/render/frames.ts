import { RenderError } from './errors.ts'

export interface FrameRange {
  first: number
  last: number
}

export interface Size {
  width: number
  height: number
}

/** Frame numbers are POV-Ray's and Blender's: non-negative integers, at most this many digits. */
const MAX_FRAME = 999_999

/** "1-120" or "42" -> an inclusive range; reversed, empty or non-numeric text is bad input. */
export function parseFrameRange(text: string): FrameRange {
  const trimmed = text.trim()
  if (trimmed === '') throw RenderError.BAD_FRAME_RANGE(text, 'is empty')
  const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(trimmed)
  if (!match) throw RenderError.BAD_FRAME_RANGE(text, 'is not numbers')
  const first = Number(match[1])
  const last = match[2] === undefined ? first : Number(match[2])
  if (last < first) throw RenderError.BAD_FRAME_RANGE(text, `is reversed (${last} comes before ${first})`)
  if (last > MAX_FRAME) throw RenderError.BAD_FRAME_RANGE(text, `goes past frame ${MAX_FRAME}`)
  return { first, last }
}

export function framesOf(range: FrameRange): number[] {
  return Array.from({ length: range.last - range.first + 1 }, (_, i) => range.first + i)
}

/** "640x480" -> { width: 640, height: 480 }. */
export function parseSize(text: string): Size {
  const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text)
  if (!match) throw RenderError.BAD_SIZE(text)
  const width = Number(match[1])
  const height = Number(match[2])
  if (width < 1 || height < 1 || width > 16384 || height > 16384) throw RenderError.BAD_SIZE(text)
  return { width, height }
}

/** The one name of a frame's image, shared by the renderers, the stitcher and the farm. */
export function frameFileName(frame: number): string {
  return `frame-${String(frame).padStart(6, '0')}.png`
}

/** The frame a file named by frameFileName holds, or undefined for any other file. */
export function frameOfFileName(name: string): number | undefined {
  const match = /^frame-(\d{6})\.png$/.exec(name)
  return match ? Number(match[1]) : undefined
}

/**
 * Splits frames into runs of consecutive frames, each at most `maxChunk` long, so one renderer
 * process can take a run with a single start-up (POV-Ray's +SF/+EF, Blender's -s/-e).
 */
export function chunkFrames(frames: number[], maxChunk: number): number[][] {
  if (!Number.isInteger(maxChunk) || maxChunk < 1) throw RenderError.BAD_CHUNK_SIZE(maxChunk)
  const sorted = [...new Set(frames)].sort((a, b) => a - b)
  const chunks: number[][] = []
  let current: number[] = []
  for (const frame of sorted) {
    const last = current.at(-1)
    if (current.length === maxChunk || (last !== undefined && frame !== last + 1)) {
      chunks.push(current)
      current = []
    }
    current.push(frame)
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/**
 * How many frames one process takes: small enough that every worker stays busy to the end and
 * progress moves often, large enough that renderer start-up is paid rarely.
 */
export function chunkSizeFor(frameCount: number, workers: number): number {
  return Math.max(1, Math.min(10, Math.ceil(frameCount / (workers * 4))))
}
