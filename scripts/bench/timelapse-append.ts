// What a frame costs the live timelapse late in a day of one-a-minute captures (1,440 frames,
// 1280x720): re-encoding the whole day (what every capture did before), against appending the
// new frame's segment and joining the segments by stream copy, for several segment lengths. For
// each: seconds per capture, the video's size, and its quality against the source frames (PSNR,
// SSIM), so the choice of SEGMENT_FRAMES is measured, not guessed.
// The frames: one detailed still (a Mandelbrot render) under a day's light curve, with a sun
// crossing it and sensor noise, so the encoder sees what a fixed camera sees.
// Run: node_modules/.bin/node scripts/bench/timelapse-append.ts
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { buildDayTimelapse } from '../../src/capture/timelapse/day.ts'
import { recordRawFrames } from '../../test/helpers/capture-day.ts'

const DAY = '2026-06-21'
const FRAMES = 1440
const SIZE = '1280x720'
const FPS = 24
/** Captures timed at the end of the day, per way of building. */
const APPENDS = 12
const SEGMENT_LENGTHS = [24, 48, 240]

const ffmpeg = (args: string[]) => execa('ffmpeg', ['-hide_banner', '-nostdin', ...args], { all: true })

async function dayOfFrames(dir: string) {
  const frames = join(dir, 'frames', DAY)
  await mkdir(frames, { recursive: true })
  await ffmpeg([
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `mandelbrot=size=${SIZE}:start_scale=0.8`,
    '-frames:v',
    '1',
    join(dir, 'still.png'),
  ])
  await ffmpeg([
    '-loglevel',
    'error',
    '-loop',
    '1',
    '-framerate',
    String(FPS),
    '-i',
    join(dir, 'still.png'),
    '-vf',
    `drawbox=x='t/${FRAMES / FPS}*1200':y=60:w=72:h=72:color=white:t=fill,eq=brightness='0.25*sin(PI*t/${FRAMES / FPS})-0.1':eval=frame,noise=alls=4:allf=t`,
    '-frames:v',
    String(FRAMES),
    '-q:v',
    '3',
    join(frames, 'raw%04d.jpg'),
  ])
  return recordRawFrames({ dir, day: DAY, count: FRAMES, everySeconds: 60 })
}

/** PSNR (dB) and SSIM of the video against the day's frames, frame by frame. */
async function quality(dir: string, video: string) {
  const pattern = join(dir, 'frames', DAY, '*.jpg')
  const result = await ffmpeg([
    '-i',
    video,
    '-framerate',
    String(FPS),
    '-pattern_type',
    'glob',
    '-i',
    pattern,
    '-lavfi',
    '[0:v]settb=1/24,setpts=N,split[a1][a2];[1:v]format=yuv420p,settb=1/24,setpts=N,split[b1][b2];[a1][b1]psnr;[a2][b2]ssim',
    '-f',
    'null',
    '-',
  ])
  const psnr = Number(/PSNR .*average:([\d.]+)/.exec(result.all)?.[1])
  const ssim = Number(/SSIM .*All:([\d.]+)/.exec(result.all)?.[1])
  return { psnr, ssim }
}

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await run()
  return (performance.now() - started) / 1000
}

const root = await mkdtemp(join(tmpdir(), 'farm-bench-timelapse-'))
try {
  const frames = await dayOfFrames(root)
  const video = join(root, 'timelapse', `${DAY}.mp4`)
  const build = (count: number, live: boolean, segmentFrames?: number) =>
    buildDayTimelapse({
      dir: root,
      day: DAY,
      frames: frames.slice(0, count),
      fps: FPS,
      timeoutMs: 600_000,
      live,
      ...(segmentFrames === undefined ? {} : { segmentFrames }),
    })

  // The whole day, re-encoded at each of the last captures.
  let wholeTotal = 0
  for (let i = FRAMES - 3; i < FRAMES; i++) wholeTotal += await seconds(() => build(i + 1, false))
  const whole = wholeTotal / 3
  const wholeSize = (await stat(video)).size
  const wholeQuality = await quality(root, video)
  console.log(
    `whole day re-encoded: ${whole.toFixed(2)} s per capture, ${(wholeSize / 1e6).toFixed(2)} MB, PSNR ${wholeQuality.psnr.toFixed(2)} dB, SSIM ${wholeQuality.ssim.toFixed(4)}`,
  )

  const figures: string[] = [`whole_s=${whole.toFixed(2)}`, `whole_psnr=${wholeQuality.psnr.toFixed(2)}`]
  for (const segmentFrames of SEGMENT_LENGTHS) {
    await rm(join(root, 'segments'), { recursive: true, force: true })
    const start = FRAMES - APPENDS
    const first = await seconds(() => build(start, true, segmentFrames))
    let total = 0
    for (let i = start; i < FRAMES; i++) total += await seconds(() => build(i + 1, true, segmentFrames))
    const append = total / APPENDS
    const size = (await stat(video)).size
    const segments = (await readdir(join(root, 'segments', DAY))).length
    const q = await quality(root, video)
    console.log(
      `segments of ${String(segmentFrames).padStart(3)}: ${append.toFixed(2)} s per capture (x${(whole / append).toFixed(1)} faster; ${first.toFixed(1)} s to build ${start} frames cold), ${(size / 1e6).toFixed(2)} MB (x${(size / wholeSize).toFixed(2)}), PSNR ${q.psnr.toFixed(2)} dB (${(q.psnr - wholeQuality.psnr).toFixed(2)}), SSIM ${q.ssim.toFixed(4)}, ${segments} segments`,
    )
    figures.push(
      `append${segmentFrames}_s=${append.toFixed(2)}`,
      `size${segmentFrames}_ratio=${(size / wholeSize).toFixed(2)}`,
      `psnr${segmentFrames}_delta=${(q.psnr - wholeQuality.psnr).toFixed(2)}`,
    )
  }
  console.log(figures.join(' '))
} finally {
  await rm(root, { recursive: true, force: true })
}
