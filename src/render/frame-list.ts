/**
 * "1-4, 9, 12-13": frame numbers sorted and folded into runs, each frame once, so a long list
 * (the gaps of a stitch, the frames of a claim) stays one readable line.
 */
export function formatFrameList(frames: readonly number[]): string {
  const sorted = [...new Set(frames)].sort((a, b) => a - b)
  const runs: string[] = []
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++
    runs.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return runs.join(', ')
}

/** "frame 7", "frames 7-12", "frames 1-3, 5": frames as messages and log lines name them. */
export function describeFrames(frames: readonly number[]): string {
  return `${new Set(frames).size === 1 ? 'frame' : 'frames'} ${formatFrameList(frames)}`
}
