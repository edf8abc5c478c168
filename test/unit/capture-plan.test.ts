import jpeg from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import {
  addDays,
  CaptureError,
  captureSchedule,
  checkTimeZone,
  daysToPrune,
  emptyManifest,
  isDay,
  isDaylight,
  localMoment,
  parsePlace,
  parseSource,
  readJpegInfo,
  sunDay,
  withFrame,
  withMiss,
} from '../../src/capture/index.ts'

describe('day folders in the capture time zone', () => {
  it('puts a frame taken just before and just after local midnight in different days', () => {
    // 22:59:30 and 23:00:30 UTC are 23:59:30 and 00:00:30 in Paris (winter, UTC+1).
    expect(localMoment(new Date('2026-11-20T22:59:30Z'), 'Europe/Paris')).toEqual({
      day: '2026-11-20',
      time: '235930',
    })
    expect(localMoment(new Date('2026-11-20T23:00:30Z'), 'Europe/Paris')).toEqual({
      day: '2026-11-21',
      time: '000030',
    })
    expect(localMoment(new Date('2026-11-20T23:00:30Z'), 'UTC')).toEqual({
      day: '2026-11-20',
      time: '230030',
    })
  })

  it('follows daylight saving time', () => {
    expect(localMoment(new Date('2026-07-01T22:30:00Z'), 'Europe/Paris').time).toBe('003000')
    expect(localMoment(new Date('2026-07-01T22:30:00Z'), 'Europe/Paris').day).toBe('2026-07-02')
  })

  it('refuses an unknown zone with a message naming it', () => {
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/time zone 'Mars\/Olympus' is unknown/)
  })

  it('knows calendar days', () => {
    expect(isDay('2024-02-29')).toBe(true)
    expect(isDay('2026-02-29')).toBe(false)
    expect(isDay('2026-1-01')).toBe(false)
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
  })
})

describe('pruning choice', () => {
  const days = ['2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21']
  it('keeps the last N days including today', () => {
    expect(daysToPrune(days, '2026-11-21', 2)).toEqual(['2026-11-17', '2026-11-18', '2026-11-19'])
    expect(daysToPrune(days, '2026-11-21', 1)).toEqual(days.slice(0, 4))
    expect(daysToPrune(days, '2026-11-21', 30)).toEqual([])
  })
  it('ignores folders that are not days', () => {
    expect(daysToPrune(['lost+found', '2026-11-01'], '2026-11-21', 2)).toEqual(['2026-11-01'])
  })
})

describe('schedule', () => {
  it('captures on the hour by default and with --hourly', () => {
    expect(captureSchedule({})).toBe('0 * * * *')
    expect(captureSchedule({ hourly: true })).toBe('0 * * * *')
  })
  it('accepts 5 and 6 field cron expressions and refuses nonsense as bad input', () => {
    expect(captureSchedule({ cron: '*/10 6-20 * * *' })).toBe('*/10 6-20 * * *')
    expect(captureSchedule({ cron: '*/5 * * * * *' })).toBe('*/5 * * * * *')
    const refusal = () => captureSchedule({ cron: '61 * * * *' })
    expect(refusal).toThrow(CaptureError)
    expect(refusal).toThrow(expect.objectContaining({ code: 'BAD_CRON', exitCode: 2 }))
  })
})

describe('daylight window', () => {
  const london = parsePlace('51.5074,-0.1278')
  it('finds London midsummer sunrise and sunset within a few minutes of the almanac', () => {
    const sun = sunDay(new Date('2026-06-21T12:00:00Z'), london)
    if ('polar' in sun) throw new Error('London is not polar')
    // Almanac: sunrise 03:43 UTC, sunset 20:21 UTC.
    expect(Math.abs(sun.sunrise.getTime() - Date.parse('2026-06-21T03:43:00Z'))).toBeLessThan(4 * 60_000)
    expect(Math.abs(sun.sunset.getTime() - Date.parse('2026-06-21T20:21:00Z'))).toBeLessThan(4 * 60_000)
  })
  it('says night at 2am and day at noon, and knows polar day and night', () => {
    expect(isDaylight(new Date('2026-06-21T02:00:00Z'), london)).toBe(false)
    expect(isDaylight(new Date('2026-06-21T12:00:00Z'), london)).toBe(true)
    const tromso = parsePlace('69.65,18.96')
    expect(isDaylight(new Date('2026-06-21T00:00:00Z'), tromso)).toBe(true)
    expect(isDaylight(new Date('2026-12-21T11:00:00Z'), tromso)).toBe(false)
  })
  it('refuses a place out of range', () => {
    expect(() => parsePlace('95,10')).toThrow(/--daylight '95,10' is not valid/)
  })
})

describe('sources', () => {
  it('parses each kind', () => {
    expect(parseSource('http://cam.local/snap.jpg')).toEqual({
      kind: 'http',
      url: 'http://cam.local/snap.jpg',
    })
    expect(parseSource('cmd:libcamera-still -n -o -')).toEqual({
      kind: 'command',
      command: 'libcamera-still -n -o -',
    })
    expect(parseSource('v4l2:/dev/video0')).toEqual({ kind: 'v4l2', device: '/dev/video0' })
    expect(parseSource('test:')).toEqual({ kind: 'test', width: 640, height: 480 })
    expect(parseSource('test:160x120')).toEqual({ kind: 'test', width: 160, height: 120 })
  })
  it('refuses an unknown source, naming the kinds it knows', () => {
    expect(() => parseSource('/dev/video0')).toThrow(
      /http\(s\):\/\/\.\.\., cmd:COMMAND, v4l2:\/dev\/videoN or test:/,
    )
  })
})

describe('JPEG header', () => {
  const image = jpeg.encode({ data: Buffer.alloc(40 * 30 * 4, 128), width: 40, height: 30 }, 80).data
  it('reads the size of a whole JPEG', () => {
    expect(readJpegInfo(image)).toEqual({ width: 40, height: 30 })
  })
  it('refuses a truncated JPEG and bytes that are not one', () => {
    expect(readJpegInfo(image.subarray(0, image.length - 40))).toBeUndefined()
    expect(readJpegInfo(Buffer.from('<html>502 Bad Gateway</html>'))).toBeUndefined()
  })
})

describe('manifest', () => {
  const frame = (file: string) => ({
    time: '2026-11-21T10:00:00.000Z',
    file,
    sha256: 'ab',
    size: 1,
    width: 2,
    height: 2,
    brightness: 100,
  })
  it('keeps frames in time order and replaces a frame of the same name', () => {
    let m = emptyManifest('2026-11-21', 'UTC')
    m = withFrame(m, frame('120000.jpg'))
    m = withFrame(m, frame('090000.jpg'))
    m = withFrame(m, { ...frame('120000.jpg'), size: 9 })
    expect(m.frames.map((f) => [f.file, f.size])).toEqual([
      ['090000.jpg', 1],
      ['120000.jpg', 9],
    ])
  })
  it('counts misses', () => {
    const m = withMiss(emptyManifest('2026-11-21', 'UTC'), {
      time: 'x',
      reason: 'error',
      message: 'HTTP 500',
    })
    expect(m.missed).toHaveLength(1)
  })
})
