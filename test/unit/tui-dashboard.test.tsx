import { stripVTControlCharacters } from 'node:util'
import { render } from 'ink-testing-library'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Dashboard, type DashboardModel, type FrameState } from '../../src/tui/index.ts'
import {
  emptyModel,
  halfDoneModel,
  job,
  recordingActions,
  T0,
  threeWorkers,
  worker,
} from '../helpers/tui-model.ts'

beforeAll(() => {
  // Log lines show local time; the expected frames are written in UTC.
  process.env.TZ = 'UTC'
})

const unmounts: (() => void)[] = []
afterEach(() => {
  for (const unmount of unmounts.splice(0)) unmount()
})

/** The text a user sees in a terminal of this size, colours aside. */
function screen(model: DashboardModel, columns = 80, rows = 24): string {
  const { lastFrame, unmount } = render(
    <Dashboard model={model} actions={recordingActions().actions} columns={columns} rows={rows} />,
  )
  unmounts.push(unmount)
  return stripVTControlCharacters(lastFrame() ?? '')
}

const KEYS = '↑↓ select  ⏎ open  a accept  p pause  c cancel  ? help  q quit'

/** The dashboard fills the terminal: the key bar is always on its last line. */
const blank = (lines: number) => Array.from({ length: lines }, () => '')

describe('the dashboard shows', () => {
  it('an empty swarm: no workers, no jobs, how to submit one', () => {
    expect(screen(emptyModel())).toBe(
      [
        'farm 3f9a2c1b │ alpha (alice) │ 0 peers │ 1 entry, in sync │ 0.000 cr',
        'Workers',
        'No workers known yet: the ledger has no node entries.',
        'Jobs',
        'No jobs yet. Submit one: farm submit scene.pov --frames 1-120',
        '05:30:00 listening on /ip4/127.0.0.1/tcp/4001',
        ...blank(17),
        KEYS,
      ].join('\n'),
    )
  })

  it('three workers with their WUPM, what they do and what they rendered', () => {
    const model = { ...emptyModel(), workers: threeWorkers }
    expect(screen(model)).toBe(
      [
        'farm 3f9a2c1b │ alpha (alice) │ 0 peers │ 1 entry, in sync │ 0.000 cr',
        'Workers (3)        Owner    State, 3 online         WUPM Session   Total Enabled',
        '● alpha            alice    rendering spline #32    1.23      41     340 yes',
        '● beta             bob      rendering spline #33    0.87      38      38 yes',
        '● gamma            carol    idle                    2.50      41   1,200 paused',
        'Jobs',
        'No jobs yet. Submit one: farm submit scene.pov --frames 1-120',
        '05:30:00 listening on /ip4/127.0.0.1/tcp/4001',
        ...blank(15),
        KEYS,
      ].join('\n'),
    )
  })

  it('offline workers and workers that never benchmarked', () => {
    const model = {
      ...emptyModel(),
      workers: [
        worker('delta', 'dave', { online: false, wupm: null, framesTotal: 12 }),
        worker('eps', 'erin', { activity: { kind: 'fetching', job: 'spline' } }),
        worker('zeta', 'zoe', { activity: { kind: 'stitching', job: 'spline' } }),
      ],
    }
    expect(screen(model).split('\n').slice(2, 5)).toEqual([
      '○ delta            dave     offline                    —       0      12 yes',
      '● eps              erin     fetching spline         1.00       0       0 yes',
      '● zeta             zoe      stitching spline        1.00       0       0 yes',
    ])
  })

  it('a job half done with a failed frame: progress, frame strip, WU per frame, the error', () => {
    expect(screen(halfDoneModel())).toBe(
      [
        'farm 3f9a2c1b │ alpha (alice) │ 2 peers │ 1,204 entries, syncing │ 12.345 cr',
        'Workers (3)        Owner    State, 3 online         WUPM Session   Total Enabled',
        '● alpha            alice    rendering spline #32    1.23      41     340 yes',
        '● beta             bob      rendering spline #33    0.87      38      38 yes',
        '● gamma            carol    idle                    2.50      41   1,200 paused',
        'Jobs (2)       Owner    Renderer Progress              Now Fail    ETA State',
        '▸✓ spline      alice    povray   ████░░░░ 30/60          2    1  4m10s rendering',
        ' ? spinner     bob      blender  ░░░░░░░░ 0/48           0    0      — queued',
        'spline · frames 1-60 · one cell per frame · WU/frame avg 0.160, max 0.310',
        '██████████████████████████████▓▒▒✗··························',
        '▁▁▂▂▂▂▃▃▃▃▃▄▄▄▄▅▅▅▅▆▆▆▆▆▇▇▇▇███',
        '✗ #34 beta (try 1): File: scene.pov Line: 12 Parse Error: Expected object, unde…',
        '05:30:01 peer beta joined via /ip4/127.0.0.1/tcp/4002',
        '05:30:02 alice submitted job spline: povray, frames 1-60',
        '05:30:03 beta failed frame 34 of spline (attempt 1): Parse Error',
        '05:30:04 alpha rendered frame 31 of spline in 1.20 s (0.310 WU)',
        ...blank(7),
        KEYS,
      ].join('\n'),
    )
  })

  it('the frames of the selected job only once they are that job’s', () => {
    const model = { ...halfDoneModel(), detail: { ...halfDoneModel().detail!, jobId: 'job-spinner' } }
    expect(screen(model).split('\n').slice(8, 10)).toEqual(['spline', 'Loading the frames of spline…'])
  })
})

/** 50 workers, 11 jobs, a 10,000-frame job selected, 30 log lines: more than 80x24 can hold. */
function crowdedModel(): DashboardModel {
  const frames: FrameState[] = Array.from({ length: 10_000 }, (_, i) => {
    const frame = i + 1
    if (frame <= 5000) return 'verified'
    if (frame <= 5003) return 'claimed'
    if (frame <= 6000) return 'rendered'
    return frame === 7001 ? 'failed' : 'waiting'
  })
  return {
    ...halfDoneModel(),
    workers: Array.from({ length: 50 }, (_, i) =>
      worker(`w${String(i).padStart(2, '0')}`, 'bob', { online: i < 48 }),
    ),
    jobs: [
      job('huge', 'alice', {
        frames: 10_000,
        verified: 5000,
        rendering: 3,
        failed: 1,
        etaMs: 30 * 3_600_000,
        state: 'rendering',
      }),
      ...Array.from({ length: 10 }, (_, i) => job(`queued${i}`, 'bob')),
    ],
    detail: {
      jobId: 'job-huge',
      firstFrame: 1,
      frames,
      wu: frames.map((state, i) => (state === 'verified' ? 0.5 : state === 'rendered' ? (i % 2) / 4 : null)),
      errors: [1, 2, 3, 4].map((attempt) => ({
        frame: 7001,
        worker: 'w07',
        attempt,
        message: 'Out of memory',
      })),
    },
    log: Array.from({ length: 30 }, (_, i) => ({
      ts: T0 + i * 1000,
      level: 'info' as const,
      text: `event ${i}`,
    })),
  }
}

describe('at 80x24', () => {
  it('a crowded swarm fits: every section keeps rows, the newest log lines and errors show', () => {
    const lines = screen(crowdedModel()).split('\n')
    expect(lines).toHaveLength(24)
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80)
    expect(lines).toEqual([
      'farm 3f9a2c1b │ alpha (alice) │ 2 peers │ 1,204 entries, syncing │ 12.345 cr',
      'Workers (5/50)     Owner    State, 48 online        WUPM Session   Total Enabled',
      '● w00              bob      idle                    1.00       0       0 yes',
      '● w01              bob      idle                    1.00       0       0 yes',
      '● w02              bob      idle                    1.00       0       0 yes',
      '● w03              bob      idle                    1.00       0       0 yes',
      '● w04              bob      idle                    1.00       0       0 yes',
      'Jobs (5/11)    Owner    Renderer Progress              Now Fail    ETA State',
      '▸✓ huge        alice    povray   ████░░░░ 5,000/10,000   3    1 30h00m rendering',
      ' ? queued0     bob      povray   ░░░░░░░░ 0/240          0    0      — queued',
      ' ? queued1     bob      povray   ░░░░░░░░ 0/240          0    0      — queued',
      ' ? queued2     bob      povray   ░░░░░░░░ 0/240          0    0      — queued',
      ' ? queued3     bob      povray   ░░░░░░░░ 0/240          0    0      — queued',
      'huge · frames 1-10000 · 125 frames per cell · WU/frame avg 0.438, max 0.500',
      `${'█'.repeat(40)}▒${'▓'.repeat(7)}${'·'.repeat(8)}✗${'·'.repeat(23)}`,
      `${'█'.repeat(40)}${'▃'.repeat(8)}`,
      '✗ #7001 w07 (try 2): Out of memory',
      '✗ #7001 w07 (try 3): Out of memory',
      '✗ #7001 w07 (try 4): Out of memory',
      '05:30:26 event 26',
      '05:30:27 event 27',
      '05:30:28 event 28',
      '05:30:29 event 29',
      KEYS,
    ])
  })

  it('a 10,000-frame job opened with Enter: strip lines numbered by their first frame', async () => {
    const { lastFrame, stdin, unmount } = render(
      <Dashboard model={crowdedModel()} actions={recordingActions().actions} columns={80} rows={24} />,
    )
    unmounts.push(unmount)
    await settle()
    stdin.write('\r')
    await settle()
    const lines = stripVTControlCharacters(lastFrame() ?? '').split('\n')
    expect(lines).toHaveLength(24)
    expect(lines.slice(1, 6)).toEqual([
      'Job            Owner    Renderer Progress              Now Fail    ETA State',
      '▸✓ huge        alice    povray   ████░░░░ 5,000/10,000   3    1 30h00m rendering',
      'huge · frames 1-10000 · 12 frames per cell · WU/frame avg 0.438, max 0.500',
      `    1 ${'█'.repeat(74)}`,
      `  889 ${'█'.repeat(74)}`,
    ])
    // 74 cells a line, 12 frames a cell: line 6 starts at frame 4441, frames 5001-5003 are in its 47th cell.
    expect(lines[9]).toBe(` 4441 ${'█'.repeat(46)}▒${'▓'.repeat(27)}`)
    expect(lines.at(-1)).toBe('↑↓ select  ⏎ back  a accept  p pause  c cancel  ? help  q quit')
  })

  it('on a narrow terminal leaves out the least needed columns rather than wrap', () => {
    const lines = screen(halfDoneModel(), 40, 12).split('\n')
    expect(lines).toHaveLength(12)
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40)
    expect(lines.slice(1, 6)).toEqual([
      'Workers (1/3)      State, 3 online  WUPM',
      '● alpha            rendering spli…  1.23',
      'Jobs (2)           Progress',
      '▸✓ spline          ████░░░░ 30/60',
      ' ? spinner         ░░░░░░░░ 0/48',
    ])
  })

  it('lays out again for a bigger terminal: more workers, jobs and log lines', () => {
    const lines = screen(crowdedModel(), 100, 40).split('\n')
    expect(lines).toHaveLength(40)
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100)
    expect(lines[1]).toMatch(
      /^Workers \(10\/50\) {4}Owner {4}State, 48 online {28}WUPM Session {3}Total Enabled$/,
    )
    expect(lines.at(-2)).toBe('05:30:29 event 29')
  })
})

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 10))
}
