import { describe, expect, it } from 'vitest'
import { parseSource, publicSourceName } from '../../src/capture/index.ts'

describe('the source a shared capture names to the swarm', () => {
  it('keeps a camera URL to its host and a command to its program, so no secret leaves the Pi', () => {
    const named = (text: string) => publicSourceName(parseSource(text))
    expect(named('http://admin:hunter2@cam.local:8080/snap.jpg?token=s3cret')).toBe(
      'camera at cam.local:8080',
    )
    expect(named('cmd:/usr/bin/curl -s -u pi:hunter2 http://cam/snap.jpg')).toBe('command curl')
    expect(named('cmd:libcamera-still -n -o -')).toBe('command libcamera-still')
    expect(named('v4l2:/dev/video0')).toBe('V4L2 device /dev/video0')
    expect(named('test:64x48')).toBe('test pattern 64x48')
  })
})
