import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { REPO_ROOT, tempDir } from '../helpers/farm.ts'

// The dashboard in a real terminal: tmux gives it a pty of 80x24, keys are typed with
// send-keys and the screen read back with capture-pane. The dashboard runs on the simulated
// swarm of scripts/tui-preview.ts (built components from dist/), so this needs no farm.

// A tmux server of the test's own, its socket in the test's temp dir, so that it never meets
// the user's tmux and leaves nothing behind.
let socket = ''
const tmux = (...args: string[]) => execa('tmux', ['-S', socket, ...args], { reject: false })

/** The lines the terminal shows; with `history`, the lines scrolled off the top before them. */
async function screen(history = false): Promise<string[]> {
  const { stdout } = await tmux('capture-pane', '-p', '-t', 'dash', ...(history ? ['-S', '-100'] : []))
  return stdout.split('\n')
}

async function waitForScreen(check: (lines: string[]) => boolean, what: string): Promise<string[]> {
  let last: string[] = []
  await vi.waitFor(
    async () => {
      last = await screen()
      if (!check(last)) throw new Error(`the terminal does not show ${what}:\n${last.join('\n')}`)
    },
    { timeout: 20_000, interval: 200 },
  )
  return last
}

/** A tmux format of the dashboard's pane, e.g. `#{pane_pid}`. */
async function pane(format: string): Promise<string> {
  return (await tmux('display-message', '-p', '-t', 'dash', format)).stdout.trim()
}

describe('the dashboard in a real terminal', () => {
  beforeAll(async () => {
    const dir = await tempDir('farm-tui-tmux-')
    socket = join(dir, 'tmux.sock')
    // The pane stays after the dashboard exits, so its exit status and last screen can be read.
    const config = join(dir, 'tmux.conf')
    await writeFile(config, 'set-option -g remain-on-exit on\n')
    const node = process.execPath
    const started = await tmux(
      '-f',
      config,
      'new-session',
      '-d',
      '-s',
      'dash',
      '-x',
      '80',
      '-y',
      '24',
      '-c',
      REPO_ROOT,
      `NODE_ENV=production '${node}' scripts/tui-preview.ts; echo "exit status $?"`,
    )
    expect(started.exitCode, started.stderr).toBe(0)
  })

  afterAll(async () => {
    await tmux('kill-server')
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

    await tmux('send-keys', '-t', 'dash', 'Down')
    await waitForScreen((l) => l.some((line) => line.startsWith('▸? spinner ')), 'the cursor on spinner')
    await tmux('send-keys', '-t', 'dash', 'a')
    await waitForScreen((l) => l.some((line) => line.startsWith('▸✓ spinner ')), 'spinner accepted')

    await tmux('send-keys', '-t', 'dash', '?')
    await waitForScreen((l) => l[1] === 'Keys', 'the help')
    await tmux('send-keys', '-t', 'dash', 'Escape')
    await waitForScreen((l) => l[1]?.startsWith('Workers') ?? false, 'the dashboard again')

    const shell = Number(await pane('#{pane_pid}'))
    const { stdout: children } = await execa('pgrep', ['-P', String(shell)], { reject: false })
    const dashboard = Number(children.trim())
    expect(dashboard).toBeGreaterThan(0)
    await tmux('send-keys', '-t', 'dash', 'q')
    // The alternate screen is gone: the terminal shows what was there before, and the goodbye.
    await waitForScreen((l) => l.includes('exit status 0'), 'the dashboard gone')
    const written = (await screen(true)).filter(
      (line) => line.trim() !== '' && !line.startsWith('Pane is dead'),
    )
    expect(written).toEqual(['preview: quit', 'exit status 0'])
    expect(() => process.kill(dashboard, 0)).toThrow(/ESRCH/)
  })
})
