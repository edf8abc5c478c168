import { stripVTControlCharacters } from 'node:util'
import { render } from 'ink-testing-library'
import { afterEach, describe, expect, it } from 'vitest'
import { Dashboard, type DashboardActions, type DashboardModel } from '../../src/tui/index.ts'
import { halfDoneModel, job, recordingActions } from '../helpers/tui-model.ts'

const UP = '\u001B[A'
const DOWN = '\u001B[B'
const ENTER = '\r'
const CTRL_C = '\u0003'

const unmounts: (() => void)[] = []
afterEach(() => {
  for (const unmount of unmounts.splice(0)) unmount()
})

/** A dashboard at 80x24 to type into; `press` waits for the keys' effects to show. */
async function dashboard(model: DashboardModel = halfDoneModel(), override: Partial<DashboardActions> = {}) {
  const { calls, actions } = recordingActions()
  const { stdin, lastFrame, unmount, frames } = render(
    <Dashboard model={model} actions={{ ...actions, ...override }} columns={80} rows={24} />,
  )
  unmounts.push(unmount)
  await settle()
  return {
    calls,
    frames,
    screen: () => stripVTControlCharacters(lastFrame() ?? '').split('\n'),
    /** The bottom line: the keys, a question, or what the last key did. */
    bottom: () =>
      stripVTControlCharacters(lastFrame() ?? '')
        .split('\n')
        .at(-1),
    async press(...keys: string[]) {
      for (const key of keys) {
        stdin.write(key)
        await settle()
      }
    },
  }
}

/** Longer than Ink's 20 ms wait for the rest of an escape sequence, so a lone Esc has arrived. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 30))
}

describe('dashboard keys', () => {
  it('up and down move the cursor between jobs and tell the farm which job to load', async () => {
    const d = await dashboard()
    expect(d.calls).toEqual(['select job-spline'])
    await d.press(DOWN)
    expect(d.screen()[6]).toMatch(/^ ✓ spline /)
    expect(d.screen()[7]).toMatch(/^▸\? spinner /)
    await d.press(DOWN, UP, 'j', 'k')
    expect(d.calls).toEqual([
      'select job-spline',
      'select job-spinner',
      'select job-spline',
      'select job-spinner',
      'select job-spline',
    ])
  })

  it('the cursor stops at the first and last job', async () => {
    const d = await dashboard()
    await d.press(UP, DOWN, DOWN, DOWN)
    expect(d.calls).toEqual(['select job-spline', 'select job-spinner'])
  })

  it('enter opens the selected job, enter or escape goes back', async () => {
    const d = await dashboard()
    await d.press(ENTER)
    expect(d.calls).toContain('open job-spline')
    expect(d.screen()[1]).toMatch(/^Job /)
    expect(d.screen()[4]).toBe(` 1 ${'█'.repeat(30)}▓▒▒✗${'·'.repeat(26)}`)
    await d.press(ENTER)
    expect(d.screen()[1]).toMatch(/^Workers /)
    await d.press(ENTER, '\u001B')
    expect(d.screen()[1]).toMatch(/^Workers /)
    expect(d.calls.filter((c) => c.startsWith('open'))).toHaveLength(2)
  })

  it('a accepts a job of another owner, and says so', async () => {
    const d = await dashboard()
    await d.press(DOWN, 'a')
    expect(d.calls).toContain('accept job-spinner')
    expect(d.bottom()).toBe('Accepted spinner: this worker takes its frames.')
  })

  it('a on an own job explains instead of asking the farm', async () => {
    const d = await dashboard()
    await d.press('a')
    expect(d.calls.some((c) => c.startsWith('accept'))).toBe(false)
    expect(d.bottom()).toBe('spline is your own job: this worker renders it already.')
  })

  it('p pauses this worker', async () => {
    const d = await dashboard()
    await d.press('p')
    expect(d.calls).toContain('pause')
    expect(d.bottom()).toBe('Pausing…')
  })

  it('c asks before cancelling an own job; y cancels it', async () => {
    const d = await dashboard()
    await d.press('c')
    expect(d.bottom()).toBe('Cancel spline (30/60 frames verified)? y cancels it, any other key keeps it.')
    expect(d.calls.some((c) => c.startsWith('cancel'))).toBe(false)
    await d.press('y')
    expect(d.calls).toContain('cancel job-spline')
    expect(d.bottom()).toBe('Cancelling spline…')
  })

  it('c then any other key keeps the job, even q', async () => {
    const d = await dashboard()
    await d.press('c', 'q')
    expect(d.calls.some((c) => c.startsWith('cancel') || c === 'quit')).toBe(false)
    expect(d.bottom()).toBe('Kept spline: not cancelled.')
  })

  it('c refuses a job of another owner', async () => {
    const d = await dashboard()
    await d.press(DOWN, 'c')
    expect(d.bottom()).toBe('spinner belongs to bob: only its owner can cancel it.')
    await d.press('y')
    expect(d.calls.some((c) => c.startsWith('cancel'))).toBe(false)
  })

  it('shows why the farm refused an action', async () => {
    const d = await dashboard(halfDoneModel(), {
      onAccept: () => Promise.reject(new Error('control socket closed: is `farm join` still running?')),
    })
    await d.press(DOWN, 'a')
    expect(d.bottom()).toBe('control socket closed: is `farm join` still running?')
  })

  it('? shows the keys and the strip legend; any key goes back', async () => {
    const d = await dashboard()
    await d.press('?')
    expect(d.screen()[1]).toBe('Keys')
    expect(d.screen()).toContain('Frames  █ verified ▓ rendered ▒ rendering ░ partly done · waiting ✗ failed')
    await d.press('x')
    expect(d.screen()[1]).toMatch(/^Workers /)
  })

  it('q and Ctrl+C quit through onQuit', async () => {
    const q = await dashboard()
    await q.press('q')
    expect(q.calls).toContain('quit')
    const ctrlC = await dashboard()
    await ctrlC.press(CTRL_C)
    expect(ctrlC.calls).toContain('quit')
  })

  it('keys that arrive together act one after the other, as typed', async () => {
    const model = halfDoneModel()
    const three = { ...model, jobs: [...model.jobs, job('teapot', 'alice', { frames: 12 })] }
    const d = await dashboard(three)
    await d.press(DOWN + DOWN)
    expect(d.calls.at(-1)).toBe('select job-teapot')
    await d.press('kk')
    expect(d.calls.at(-1)).toBe('select job-spline')
    await d.press('ja')
    expect(d.calls.slice(-2)).toEqual(['accept job-spinner', 'select job-spinner'])
    await d.press('kcy')
    expect(d.calls).toContain('cancel job-spline')
    await d.press('\rp')
    expect(d.screen()[1]).toMatch(/^Job /)
    expect(d.calls.slice(-2)).toEqual(['open job-spline', 'pause'])
  })

  it('a key press with no jobs is harmless', async () => {
    const model = { ...halfDoneModel(), jobs: [], detail: null }
    const d = await dashboard(model)
    await d.press(DOWN, ENTER, 'a', 'c', 'y')
    expect(d.calls).toEqual([])
  })
})
