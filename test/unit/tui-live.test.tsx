import { stripVTControlCharacters } from 'node:util'
import { Text } from 'ink'
import { render } from 'ink-testing-library'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createModelStore, type DashboardHandle, mountDashboard, useThrottled } from '../../src/tui/index.ts'
import { FakeTerminalIn, FakeTerminalOut } from '../helpers/fake-terminal.ts'
import { halfDoneModel, recordingActions } from '../helpers/tui-model.ts'

const handles: DashboardHandle[] = []
afterEach(() => {
  for (const handle of handles.splice(0)) handle.unmount()
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

describe('useThrottled', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('renders about 10 times for 1,000 changes over a second, and ends on the last change', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const source = counter()
    const rendered: number[] = []
    function Probe() {
      const n = useThrottled(source, 100)
      rendered.push(n)
      return <Text>{n}</Text>
    }
    const { lastFrame, unmount } = render(<Probe />)
    try {
      for (let i = 0; i < 1000; i++) {
        source.bump()
        await vi.advanceTimersByTimeAsync(1)
      }
      await vi.advanceTimersByTimeAsync(200)
      expect(rendered.length).toBeLessThanOrEqual(13)
      // The model is read only to draw it: the farm may build it in get() from the ledger.
      expect(source.reads).toBeLessThanOrEqual(14)
      expect(rendered.at(-1)).toBe(1000)
      expect(lastFrame()).toBe('1000')
    } finally {
      unmount()
    }
  })

  it('shows a lone change at once', async () => {
    const source = counter()
    function Probe() {
      return <Text>{useThrottled(source, 60_000)}</Text>
    }
    const probe = render(<Probe />)
    try {
      await sleep(10)
      source.bump()
      await vi.waitFor(() => expect(probe.lastFrame()).toBe('1'))
    } finally {
      probe.unmount()
    }
  })
})

/** A source whose value is how many times it changed; it counts how often it is read. */
function counter() {
  let n = 0
  const listeners = new Set<() => void>()
  return {
    reads: 0,
    get() {
      this.reads++
      return n
    },
    subscribe(listener: () => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    bump() {
      n++
      for (const listener of listeners) listener()
    },
  }
}

function mount(options: { stdinIsTTY?: boolean } = {}) {
  const stdout = new FakeTerminalOut()
  const stdin = new FakeTerminalIn()
  if (options.stdinIsTTY === false) Object.assign(stdin, { isTTY: false, setRawMode: undefined })
  const store = createModelStore(halfDoneModel())
  const { calls, actions } = recordingActions()
  const handle = mountDashboard(store, actions, {
    stdin: stdin as unknown as NodeJS.ReadableStream,
    stdout: stdout as unknown as NodeJS.WritableStream,
    stderr: new FakeTerminalOut() as unknown as NodeJS.WritableStream,
    intervalMs: 20,
    // vitest replaces the console with one Ink cannot wrap.
    patchConsole: false,
  })
  handles.push(handle)
  /** What the terminal shows now: the text after Ink's last redraw. */
  const lastScreen = () => {
    const text = stripVTControlCharacters(stdout.written)
    const start = text.lastIndexOf('farm 3f9a2c1b')
    return text.slice(start).split('\n')
  }
  return { stdout, stdin, store, calls, handle, lastScreen }
}

describe('mountDashboard', () => {
  it('draws on the terminal, follows the model, and q quits through onQuit', async () => {
    const t = mount()
    await shows(t, 0, 'farm 3f9a2c1b │ alpha (alice) │ 2 peers │ 1,204 entries, syncing │ 12.345 cr')
    t.store.update((model) => ({ ...model, header: { ...model.header, peers: 3, inSync: true } }))
    await shows(t, 0, 'farm 3f9a2c1b │ alpha (alice) │ 3 peers │ 1,204 entries, in sync │ 12.345 cr')
    t.stdin.type('q')
    await t.handle.waitUntilExit()
    expect(t.calls).toContain('quit')
    // Drawn on the alternate screen, which is left at exit: the shell gets its own screen back.
    expect(t.stdout.written.startsWith('\u001B[?1049h')).toBe(true)
    expect(t.stdout.written.slice(-30)).toContain('\u001B[?1049l')
  })

  it('lays the dashboard out again when the terminal is resized', async () => {
    const t = mount()
    await shows(t, 1, /^Workers \(3\) +Owner +State, 3 online +WUPM Session +Total Enabled$/)
    expect(t.lastScreen()[1]).toHaveLength(80)
    t.stdout.resize(100, 30)
    await vi.waitFor(() => expect(t.lastScreen()[1]).toHaveLength(100))
  })

  it('shows the dashboard without keys when stdin is not a terminal, instead of throwing', async () => {
    const t = mount({ stdinIsTTY: false })
    await shows(t, 0, /^farm 3f9a2c1b /)
    t.handle.unmount()
    await t.handle.waitUntilExit()
  })
})

/** Waits, within vi.waitFor's second, for a line of the screen to read as expected. */
async function shows(t: ReturnType<typeof mount>, line: number, expected: string | RegExp) {
  await vi.waitFor(() => {
    const text = t.lastScreen()[line] ?? ''
    if (typeof expected === 'string') expect(text).toBe(expected)
    else expect(text).toMatch(expected)
  })
}
