import { describe, expect, it } from 'vitest'
import { backoffMs, PendingQueue, priorityOf } from '../../src/capture/backup/pending.ts'
import { dayOfPath, foldRecords } from '../../src/capture/backup/records.ts'

describe('the backup queue', () => {
  it('sends frames first, then manifests, thumbnails and videos last', () => {
    const queue = new PendingQueue(100)
    for (const path of [
      'timelapse/2026-11-21.mp4',
      'thumbs/2026-11-21/100000.jpg',
      'frames/2026-11-21/manifest.json',
      'frames/2026-11-21/110000.jpg',
      'frames/2026-11-20/230000.jpg',
    ])
      queue.add(path, 0)
    expect(queue.due(0, 10).map((t) => t.path)).toEqual([
      'frames/2026-11-20/230000.jpg',
      'frames/2026-11-21/110000.jpg',
      'frames/2026-11-21/manifest.json',
      'thumbs/2026-11-21/100000.jpg',
      'timelapse/2026-11-21.mp4',
    ])
    expect(priorityOf('timelapse/2026-11-21.jpg')).toBe(3)
  })

  it('keeps a file that changed while it was uploading, and drops one sent as it is', () => {
    const queue = new PendingQueue(100)
    queue.add('frames/2026-11-21/manifest.json', 0)
    const [taken] = queue.due(0, 1)
    queue.add('frames/2026-11-21/manifest.json', 1)
    queue.done(taken!)
    expect(queue.size).toBe(1)
    queue.done(queue.due(1, 1)[0]!)
    expect(queue.size).toBe(0)
  })

  it('backs a failing file off from 10 s doubling to 10 minutes (or --backup-retry), and sends all at once when the remote is back', () => {
    expect([1, 2, 3, 7, 8, 30].map((n) => backoffMs(n))).toEqual([
      10_000, 20_000, 40_000, 600_000, 600_000, 600_000,
    ])
    // --backup-retry 2: never more than 2 s between tries.
    expect([1, 2, 5].map((n) => backoffMs(n, 2_000))).toEqual([2_000, 2_000, 2_000])
    const queue = new PendingQueue(100)
    queue.add('frames/2026-11-21/100000.jpg', 0)
    expect(queue.failed('frames/2026-11-21/100000.jpg', 0)).toBe(1)
    expect(queue.failed('frames/2026-11-21/100000.jpg', 0)).toBe(2)
    expect(queue.due(19_999, 10)).toEqual([])
    expect(queue.nextDueAt()).toBe(20_000)
    queue.dueNow(5)
    expect(queue.due(5, 10)).toHaveLength(1)
  })

  it('refuses files past its bound, for the scan of their day to find again', () => {
    const queue = new PendingQueue(2)
    expect(queue.add('frames/a/1.jpg', 0)).toBe(true)
    expect(queue.add('frames/a/2.jpg', 0)).toBe(true)
    expect(queue.add('frames/a/3.jpg', 0)).toBe(false)
    expect(queue.add('frames/a/1.jpg', 0)).toBe(true)
  })
})

describe('the records of what the remote holds', () => {
  it('name the day of every file of the layout, and nothing else', () => {
    expect(dayOfPath('frames/2026-11-21/100000.jpg')).toBe('2026-11-21')
    expect(dayOfPath('thumbs/2026-11-21/100000.jpg')).toBe('2026-11-21')
    expect(dayOfPath('timelapse/2026-11-21.mp4')).toBe('2026-11-21')
    expect(dayOfPath('backup-remote/days/2026-11-21.jsonl')).toBeUndefined()
    expect(dayOfPath('frames/2026-11-21/../../etc/passwd')).toBeUndefined()
  })

  it('read the last line about a file, skip a torn line, and forget what verify found stale', () => {
    const a = { path: 'frames/d/1.jpg', size: 10, mtimeMs: 1.5, sha256: 'aa' }
    const b = { path: 'frames/d/manifest.json', size: 20, mtimeMs: 2, sha256: 'bb' }
    const text = [
      JSON.stringify(a),
      JSON.stringify(b),
      JSON.stringify({ ...b, size: 21, sha256: 'cc' }),
      '{"path":"frames/d/2.jpg","si',
    ].join('\n')
    expect([...foldRecords(text).values()]).toEqual([a, { ...b, size: 21, sha256: 'cc' }])
    const stale = foldRecords(`${text}\n${JSON.stringify({ path: a.path, stale: true })}\n`)
    expect([...stale.keys()]).toEqual([b.path])
  })
})
