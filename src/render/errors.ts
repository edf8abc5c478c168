import { describeFrames } from './frame-list.ts'

export type RenderErrorCode =
  | 'BAD_FRAME_RANGE'
  | 'BAD_SIZE'
  | 'BAD_CHUNK_SIZE'
  | 'BAD_FPS'
  | 'BAD_VIDEO_FORMAT'
  | 'NO_FRAMES'
  | 'SCENE_NOT_FOUND'
  | 'UNKNOWN_SCENE_TYPE'
  | 'RENDERER_MISSING'
  | 'SCENE_INVALID'
  | 'SCENE_FILES_MISSING'
  | 'RENDER_FAILED'
  | 'BAD_FRAME'
  | 'OUTPUT_NOT_WRITABLE'
  | 'DISK_FULL'
  | 'FRAMES_MISSING'
  | 'STITCH_FAILED'
  | 'FFMPEG_FAILED'
  | 'BAD_TILES'
  | 'ABORTED'
  | 'FRAME_TIMEOUT'
  | 'SANDBOX_UNAVAILABLE'
  | 'SCENE_REFUSED'

/**
 * The one error class of the render part, made only by its factories, one per code. Callers
 * branch on `code`; users read `message`, which names the thing at fault and what to do. Bad
 * input carries exitCode 2, a failed render 1, a stop 130.
 */
export class RenderError extends Error {
  readonly code: RenderErrorCode
  readonly exitCode: number
  /** The program's command line, when a renderer or ffmpeg was run. */
  readonly command: string | undefined

  private constructor(code: RenderErrorCode, message: string, exitCode: number, command?: string) {
    super(message)
    this.name = 'RenderError'
    this.code = code
    this.exitCode = exitCode
    this.command = command
  }

  static BAD_FRAME_RANGE(text: string, why: string) {
    return new RenderError(
      'BAD_FRAME_RANGE',
      `frame range '${text}' ${why}: give FIRST-LAST (e.g. 1-120) or one frame number`,
      2,
    )
  }

  static BAD_SIZE(text: string) {
    return new RenderError(
      'BAD_SIZE',
      `size '${text}' is not WIDTHxHEIGHT with both from 1 to 16384: give e.g. 640x480`,
      2,
    )
  }

  /** A caller's mistake rather than a user's: chunk sizes are computed, not typed. */
  static BAD_CHUNK_SIZE(size: number) {
    return new RenderError('BAD_CHUNK_SIZE', `chunk size ${size} is not a whole number of frames above 0`, 2)
  }

  static BAD_FPS(fps: number) {
    return new RenderError('BAD_FPS', `fps ${fps} is out of range: give a rate from 1 to 240`, 2)
  }

  static BAD_VIDEO_FORMAT(out: string) {
    return new RenderError(
      'BAD_VIDEO_FORMAT',
      `video ${out} is of no format farm writes: name it .mp4, .webm or .gif`,
      2,
    )
  }

  static NO_FRAMES(task: 'render' | 'stitch') {
    return new RenderError(
      'NO_FRAMES',
      task === 'render'
        ? 'there are no frames to render: give a range such as 1-120'
        : 'there are no frames to stitch: give the frame images to encode',
      2,
    )
  }

  static SCENE_NOT_FOUND(scene: string) {
    return new RenderError('SCENE_NOT_FOUND', `scene file ${scene} does not exist: check the path`, 2)
  }

  static UNKNOWN_SCENE_TYPE(scene: string) {
    return new RenderError(
      'UNKNOWN_SCENE_TYPE',
      `scene ${scene} is neither a POV-Ray scene (.pov) nor a Blender file (.blend): pass one of those`,
      2,
    )
  }

  /** `hint` says how to install it, e.g. detect.ts's installHint. */
  static RENDERER_MISSING(renderer: string, hint: string) {
    return new RenderError('RENDERER_MISSING', `${renderer} is not installed: ${hint}`, 2)
  }

  static SCENE_INVALID(scene: string, tail: string, command: string) {
    return new RenderError(
      'SCENE_INVALID',
      `scene ${scene} does not parse: fix what the renderer says\n${indent(tail)}\ncommand: ${command}`,
      2,
      command,
    )
  }

  /** `lines`: what the renderer (or farm's check inside it) said about each missing file. */
  static SCENE_FILES_MISSING(scene: string, lines: string[], command: string) {
    return new RenderError(
      'SCENE_FILES_MISSING',
      `scene ${scene} needs files that are not there; submit it again with them (\`farm submit --list\` shows what is packed):\n${indent(lines.join('\n'))}\ncommand: ${command}`,
      2,
      command,
    )
  }

  /** `frames` as describeFrames says them: "frame 7", "frames 7-12". */
  static RENDER_FAILED(frames: string, tail: string, command: string) {
    return new RenderError(
      'RENDER_FAILED',
      `rendering ${frames} failed:\n${indent(tail)}\ncommand: ${command}`,
      1,
      command,
    )
  }

  static BAD_FRAME(file: string, why: string) {
    return new RenderError('BAD_FRAME', `frame image ${file} ${why}`, 1)
  }

  static OUTPUT_NOT_WRITABLE(dir: string, cause: string) {
    return new RenderError(
      'OUTPUT_NOT_WRITABLE',
      `output directory ${dir} is not writable (${cause}): choose another with --out or fix its permissions`,
      2,
    )
  }

  static DISK_FULL(where: string) {
    return new RenderError(
      'DISK_FULL',
      `the disk holding ${where} is full: free some space or choose another --out, then run again (finished frames are kept)`,
      2,
    )
  }

  /** Frames by number when they follow frameFileName, else by file name. */
  static FRAMES_MISSING(frames: number[] | string[]) {
    const which = frames.every((f) => typeof f === 'number')
      ? describeFrames(frames)
      : `${frames.length === 1 ? 'frame' : 'frames'} ${frames.join(', ')}`
    return new RenderError(
      'FRAMES_MISSING',
      `cannot stitch: ${which} missing or unreadable: render them again, then stitch`,
      1,
    )
  }

  static STITCH_FAILED(out: string, tail: string, command: string) {
    return new RenderError(
      'STITCH_FAILED',
      `ffmpeg could not write ${out}:\n${indent(tail)}\ncommand: ${command}`,
      1,
      command,
    )
  }

  /** `what` the call was for, e.g. "encode the timelapse /x.mp4"; `why` is ffmpeg's own words. */
  static FFMPEG_FAILED(what: string, why: string) {
    return new RenderError('FFMPEG_FAILED', `ffmpeg failed to ${what}: ${why.trim() || 'no output'}`, 1)
  }

  /** A render killed with its process group at the job's frame timeout: counts as a failed attempt. */
  static FRAME_TIMEOUT(frames: string, seconds: number, command: string) {
    return new RenderError(
      'FRAME_TIMEOUT',
      `rendering ${frames} exceeded the job's frame timeout of ${seconds} s and was killed\ncommand: ${command}`,
      1,
      command,
    )
  }

  /** `why` as sandbox.ts's probe says it, with what to do. */
  static SANDBOX_UNAVAILABLE(why: string) {
    return new RenderError(
      'SANDBOX_UNAVAILABLE',
      `cannot render in a sandbox here: ${why} (see \`farm doctor\`)`,
      2,
    )
  }

  /** A scene that would read or write outside its own directory, or run its own code; `what` names each thing. */
  static SCENE_REFUSED(scene: string, what: string[]) {
    return new RenderError(
      'SCENE_REFUSED',
      `scene ${scene} is refused: ${what.join('; ')}. A farm job may only read its own directory and write its frames: make these paths relative inside the scene's directory, or remove them`,
      2,
    )
  }

  static BAD_TILES(text: string, why: string) {
    return new RenderError('BAD_TILES', `tiles '${text}' ${why}: give COLUMNSxROWS, e.g. 4x4`, 2)
  }

  static ABORTED() {
    return new RenderError('ABORTED', 'rendering was stopped', 130)
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}
