import { RenderError } from '../errors.ts'
import { ffmpegOutput } from './run.ts'

/** Still images: the capture part's camera grabs, test pattern, JPEG conversion and thumbnails. */

// Inside the filtergraph's single quotes only drawtext's own option parser sees the text, and it
// treats ':' as the next option unless escaped once.
function drawtextEscape(text: string): string {
  return text.replace(/[\\']/g, '').replace(/:/g, '\\:')
}

/**
 * The `test:` source: a colour pattern with the capture time written on it and a white "sun"
 * that crosses the frame once a day, so consecutive frames differ as a real scene's would.
 */
export function testPattern(
  label: string,
  dayFraction: number,
  size: { width: number; height: number },
  timeoutMs: number,
) {
  const text = drawtextEscape(label)
  const fontSize = Math.max(8, Math.round(Math.min(size.height / 12, size.width / 28)))
  const sun = Math.max(4, Math.round(size.height / 10))
  const sunX = Math.round(dayFraction * (size.width - sun))
  return ffmpegOutput(
    [
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size.width}x${size.height}:rate=1,drawbox=x=${sunX}:y=${sun}:w=${sun}:h=${sun}:color=white:t=fill,drawtext=text='${text}':fontcolor=white:fontsize=${fontSize}:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=h-th-${fontSize}`,
      '-frames:v',
      '1',
      '-q:v',
      '3',
      '-f',
      'image2',
      '-c:v',
      'mjpeg',
      'pipe:1',
    ],
    { what: 'draw the test pattern', timeoutMs },
  )
}

/** One still from a V4L2 camera. The first frames of a webcam are often dark while it adjusts, so skip a few. */
export function grabV4l2(device: string, timeoutMs: number) {
  return ffmpegOutput(
    [
      '-f',
      'v4l2',
      '-i',
      device,
      '-vf',
      'select=gte(n\\,5)',
      '-frames:v',
      '1',
      '-f',
      'image2',
      '-c:v',
      'mjpeg',
      '-q:v',
      '2',
      'pipe:1',
    ],
    { what: `grab a frame from ${device}`, timeoutMs },
  )
}

/** Re-encodes any still ffmpeg can decode (PNG from a camera command) as a JPEG frame. */
export function toJpeg(image: Uint8Array, timeoutMs: number) {
  return ffmpegOutput(
    ['-i', 'pipe:0', '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '2', 'pipe:1'],
    {
      what: 'convert the image to JPEG',
      input: image,
      timeoutMs,
    },
  )
}

const PROBE_W = 16
const PROBE_H = 12

/**
 * Decodes the frame once: writes its thumbnail and returns its mean luma (0-255). A frame that
 * ffmpeg cannot decode fails here, before anything is recorded.
 */
export async function thumbnailAndBrightness(
  jpeg: Uint8Array,
  thumbPath: string,
  thumbWidth: number,
  timeoutMs: number,
): Promise<number> {
  const gray = await ffmpegOutput(
    [
      '-f',
      'image2pipe',
      '-c:v',
      'mjpeg',
      '-i',
      'pipe:0',
      '-filter_complex',
      `[0:v]split=2[a][b];[a]scale=w=min(${thumbWidth}\\,iw):h=-2[thumb];[b]scale=${PROBE_W}:${PROBE_H}:flags=area,format=gray[probe]`,
      '-map',
      '[thumb]',
      '-frames:v',
      '1',
      '-q:v',
      '5',
      '-f',
      'image2',
      '-y',
      thumbPath,
      '-map',
      '[probe]',
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      'pipe:1',
    ],
    { what: 'decode the frame and write its thumbnail', input: jpeg, timeoutMs },
  )
  if (gray.length < PROBE_W * PROBE_H)
    throw RenderError.FFMPEG_FAILED('measure the frame', 'no pixels decoded')
  let sum = 0
  for (let i = 0; i < PROBE_W * PROBE_H; i++) sum += gray[i]!
  return sum / (PROBE_W * PROBE_H)
}
