import { createHash } from 'node:crypto'

/** A frame as a live timelapse segment depends on it: its name and its bytes' hash. */
export interface SegmentFrame {
  file: string
  sha256: string
}

export interface PlannedSegment {
  /** `0003-<hash>.ts`: the position, then what the segment holds, so a name certifies its content. */
  name: string
  frames: SegmentFrame[]
}

/**
 * Cuts the day's frames into segments of `segmentFrames` each. A segment's name is a hash of
 * the encoder settings and of its frames, so a segment on disk under that name can be reused
 * as it is, and only the last, still growing segment changes when a frame is appended. A frame
 * recorded out of order (a restart's recovery) renames every segment from its position on.
 */
export function planSegments(
  frames: SegmentFrame[],
  opts: { segmentFrames: number; settings: string },
): PlannedSegment[] {
  const segments: PlannedSegment[] = []
  for (let start = 0; start < frames.length; start += opts.segmentFrames) {
    const part = frames.slice(start, start + opts.segmentFrames)
    const hash = createHash('sha256').update(opts.settings)
    for (const frame of part) hash.update(`\n${frame.file} ${frame.sha256}`)
    const position = String(segments.length).padStart(4, '0')
    segments.push({ name: `${position}-${hash.digest('hex').slice(0, 16)}.ts`, frames: part })
  }
  return segments
}
