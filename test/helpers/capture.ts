import { Capturer, type CapturerInit, grabber, parseSource } from '../../src/capture/index.ts'

/**
 * A capturer on the `test:` source whose clock the test sets: `captureAt` takes one frame at
 * each given instant, which is how tests cross midnight or age days without waiting.
 */
export function clockedCapturer(dir: string, opts: Partial<CapturerInit> & { size?: string } = {}) {
  let now = new Date(0)
  const capturer = new Capturer({
    dir,
    grab: grabber(parseSource(`test:${opts.size ?? '64x48'}`), 20_000),
    sourceName: 'test',
    timeZone: 'UTC',
    ...opts,
    now: () => now,
  })
  return {
    capturer,
    async captureAt(instants: string[]) {
      const outcomes = []
      for (const instant of instants) {
        now = new Date(instant)
        outcomes.push(await capturer.tick())
      }
      return outcomes
    },
  }
}
