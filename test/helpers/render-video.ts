import { execa } from 'execa'

/** What a viewer of the video would notice: its frame count, size and rate. */
export async function probeVideo(
  file: string,
): Promise<{ frames: number; width: number; height: number; fps: string; codec: string; pixFmt: string }> {
  const { stdout } = await execa('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames,width,height,r_frame_rate,codec_name,pix_fmt',
    '-of',
    'json',
    file,
  ])
  const stream = JSON.parse(stdout).streams[0]
  return {
    frames: Number(stream.nb_read_frames),
    width: stream.width,
    height: stream.height,
    fps: stream.r_frame_rate,
    codec: stream.codec_name,
    pixFmt: stream.pix_fmt,
  }
}
