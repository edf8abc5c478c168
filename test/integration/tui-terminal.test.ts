import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/farm.ts'
import { TmuxTerminal } from '../helpers/tmux.ts'

// The dashboard in a real terminal: tmux gives it a pty of 80x24, keys are typed with
// send-keys and the screen read back with capture-pane. The dashboard runs on the simulated
// swarm of scripts/tui-preview.ts (built components from dist/), so this needs no farm.

const term = new TmuxTerminal()
const screen = (history = false) => term.screen(history)
const waitForScreen = (check: (lines: string[]) => boolean, what: string) => term.waitForScreen(check, what)

describe('the dashboard in a real terminal', () => {
  beforeAll(async () => {
    await term.start(`NODE_ENV=production '${process.execPath}' scripts/tui-preview.ts`, { cwd: REPO_ROOT })
  })

  afterAll(async () => {
    await term.kill()
  })

  it('draws at 80x24, answers the keys, and q leaves it cleanly with no process left', async () => {
    const lines = await waitForScreen(
      (l) => l[0]?.startsWith('farm 3f9a2c1b │ alpha (alice)') ?? false,
      'the header',
    )
    expect(lines.length).toBeLessThanOrEqual(24)
    expect(lines[1]).toMatch(/^Workers \(3\) +Owner +State, 3 online +WUPM Session +Total Enabled$/)
    await waitForScreen(
      (l) => l.some((line) => /^● beta +bob +rendering spline #\d+/.test(line)),
      'beta rendering',
    )
    expect((await screen()).at(-1)).toBe('↑↓ select  ⏎ open  a accept  p pause  c cancel  ? help  q quit')

    await term.keys('Down')
    await waitForScreen((l) => l.some((line) => line.startsWith('▸? spinner ')), 'the cursor on spinner')
    await term.keys('a')
    await waitForScreen((l) => l.some((line) => line.startsWith('▸✓ spinner ')), 'spinner accepted')

    await term.keys('?')
    await waitForScreen((l) => l[1] === 'Keys', 'the help')
    await term.keys('Escape')
    await waitForScreen((l) => l[1]?.startsWith('Workers') ?? false, 'the dashboard again')

    const shell = Number(await term.pane('#{pane_pid}'))
    const { stdout: children } = await execa('pgrep', ['-P', String(shell)], { reject: false })
    const dashboard = Number(children.trim())
    expect(dashboard).toBeGreaterThan(0)
    await term.keys('q')
    // The alternate screen is gone: the terminal shows what was there before, and the goodbye.
    await waitForScreen((l) => l.includes('exit status 0'), 'the dashboard gone')
    const written = (await screen(true)).filter(
      (line) => line.trim() !== '' && !line.startsWith('Pane is dead'),
    )
    expect(written).toEqual(['preview: quit', 'exit status 0'])
    expect(() => process.kill(dashboard, 0)).toThrow(/ESRCH/)
  })
})
