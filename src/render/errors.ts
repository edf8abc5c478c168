import { describeFrames } from './frame-list.ts'

/**
 * The one error class of the render part. Callers branch on `code`; users read `message`, which
 * names the thing at fault and what to do. Bad input carries exitCode 2, a failed render 1.
 */
export class RenderError extends Error {
  readonly code: string
  readonly exitCode: number
  /** The renderer's command line, when a renderer was run. */
  readonly command: string | undefined

  constructor(code: string, message: string, exitCode: number, command?: string) {
    super(message)
    this.name = 'RenderError'
    this.code = code
    this.exitCode = exitCode
    this.command = command
  }

  static badFrameRange(text: string, why: string): RenderError {
    return new RenderError(
      'BAD_FRAME_RANGE',
      `frame range '${text}' ${why}: give FIRST-LAST (e.g. 1-120) or one frame number.`,
      2,
    )
  }

  static badSize(text: string): RenderError {
    return new RenderError(
      'BAD_SIZE',
      `size '${text}' is not WIDTHxHEIGHT (e.g. 640x480) with both above 0.`,
      2,
    )
  }

  static sceneNotFound(scene: string): RenderError {
    return new RenderError('SCENE_NOT_FOUND', `scene file ${scene} does not exist: check the path.`, 2)
  }

  static unknownSceneType(scene: string): RenderError {
    return new RenderError(
      'UNKNOWN_SCENE_TYPE',
      `scene ${scene} is neither a POV-Ray scene (.pov) nor a Blender file (.blend): pass one of those.`,
      2,
    )
  }

  static rendererMissing(renderer: string, hint: string): RenderError {
    return new RenderError('RENDERER_MISSING', `${renderer} is not installed: ${hint}`, 2)
  }

  static sceneInvalid(scene: string, tail: string, command: string): RenderError {
    return new RenderError(
      'SCENE_INVALID',
      `scene ${scene} does not parse:\n${indent(tail)}\ncommand: ${command}`,
      2,
      command,
    )
  }

  static renderFailed(frames: string, tail: string, command: string): RenderError {
    return new RenderError(
      'RENDER_FAILED',
      `rendering ${frames} failed:\n${indent(tail)}\ncommand: ${command}`,
      1,
      command,
    )
  }

  static badFrame(file: string, why: string): RenderError {
    return new RenderError('BAD_FRAME', `frame image ${file} ${why}.`, 1)
  }

  static outputNotWritable(dir: string, cause: string): RenderError {
    return new RenderError(
      'OUTPUT_NOT_WRITABLE',
      `output directory ${dir} is not writable (${cause}): choose another with --out or fix its permissions.`,
      2,
    )
  }

  static diskFull(where: string): RenderError {
    return new RenderError(
      'DISK_FULL',
      `the disk holding ${where} is full: free some space or choose another --out, then run again (finished frames are kept).`,
      2,
    )
  }

  /** Frames by number when they follow frameFileName, else by file name. */
  static framesMissing(frames: number[] | string[]): RenderError {
    const which = frames.every((f) => typeof f === 'number')
      ? describeFrames(frames)
      : `${frames.length === 1 ? 'frame' : 'frames'} ${frames.join(', ')}`
    return new RenderError(
      'FRAMES_MISSING',
      `cannot stitch: ${which} missing or unreadable. Render them again, then stitch.`,
      1,
    )
  }

  static stitchFailed(out: string, tail: string, command: string): RenderError {
    return new RenderError(
      'STITCH_FAILED',
      `ffmpeg could not write ${out}:\n${indent(tail)}\ncommand: ${command}`,
      1,
      command,
    )
  }

  static ffmpegFailed(what: string, why: string): RenderError {
    return new RenderError('FFMPEG_FAILED', `ffmpeg failed to ${what}: ${why.trim() || 'no output'}`, 1)
  }

  static aborted(): RenderError {
    return new RenderError('ABORTED', 'rendering was stopped.', 130)
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}
