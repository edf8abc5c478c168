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
export { MISSING_MARK, remapBlender, traceBlender } from './deps/blender-deps.ts'
export type { SceneDependency } from './deps/dependency.ts'
export { type PovrayTrace, TRACE_TIMEOUT_MS, tracePovray } from './deps/povray-deps.ts'
export {
  blenderDevices,
  detectFfmpeg,
  detectRenderers,
  installHint,
  type RendererInfo,
  type RendererPrograms,
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
export { killLeftoverRenderers } from './pid-files.ts'
export { checkFrame, type FrameCheck, framePsnr, pixelHash } from './pixels.ts'
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
export { BLENDER_DEVICES, type BlenderDevice, type PovrayOptions, type RendererName } from './renderer.ts'
export { type SandboxLimits, type SandboxReport, sandboxReport } from './sandbox.ts'
export {
  assembleTiles,
  cropToRegion,
  MAX_TILES_PER_SIDE,
  parseTileGrid,
  type Region,
  type TileGrid,
  tileGridProblem,
  tileRegion,
} from './tiles.ts'
