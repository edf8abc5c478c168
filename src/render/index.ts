export {
  type BenchCache,
  type BenchResult,
  benchCachePath,
  benchmarkRenderer,
  loadBenchResults,
  REFERENCE,
  saveBenchResults,
  wupmOf,
} from './bench.ts'
export { type ChartBar, sparkline, writeBarChart } from './chart.ts'
export { reapedChildrenCpuMs } from './cpu.ts'
export {
  detectFfmpeg,
  detectRenderers,
  installHint,
  type RendererInfo,
  rendererForScene,
  type ToolInfo,
} from './detect.ts'
export { RenderError } from './errors.ts'
export { grabV4l2, testPattern, thumbnailAndBrightness, toJpeg } from './ffmpeg/stills.ts'
export { type StitchOptions, stitchVideo, type VideoFormat, videoFormatOf } from './ffmpeg/stitch.ts'
export {
  encodeTimelapse,
  encodeTimelapseSegment,
  joinTimelapseSegments,
  TIMELAPSE_ENCODER,
  type TimelapseEncode,
} from './ffmpeg/timelapse.ts'
export { describeFrames, formatFrameList } from './frame-list.ts'
export {
  chunkFrames,
  type FrameRange,
  frameFileName,
  frameOfFileName,
  framesOf,
  parseFrameRange,
  parseSize,
  type Size,
} from './frames.ts'
export { checkFrame, type FrameCheck, pixelHash } from './pixels.ts'
export { type RunOptions, type RunResult, runProgram } from './process.ts'
export {
  ASCII_BAR,
  type BarLook,
  BLOCK_BAR,
  describeProgress,
  formatDuration,
  type ProgressStats,
  progressBar,
  progressStats,
} from './progress.ts'
export { defaultParallelism, type FrameResult, type RenderOptions, renderFrames } from './render-frames.ts'
export type { PovrayOptions, RendererName } from './renderer.ts'
