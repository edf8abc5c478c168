import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { vi } from 'vitest'
import { tempDir } from './farm.ts'

/**
 * A real terminal for a test: a tmux server of the test's own (its socket in a temp dir, so it
 * never meets the user's tmux) with one pane. Keys are typed with send-keys and the screen is
 * read back with capture-pane. The pane stays after its command exits, so its exit status and
 * last screen can still be read; `kill()` ends the server.
 */
export class TmuxTerminal {
  private socket = ''
  private readonly session = 'term'

  /** Runs `command` in a shell in a pane of `columns` x `rows`, then prints `exit status N`. */
  async start(command: string, opts: { cwd: string; columns?: number; rows?: number }): Promise<void> {
    const dir = await tempDir('farm-tmux-')
    this.socket = join(dir, 'tmux.sock')
    const config = join(dir, 'tmux.conf')
    await writeFile(config, 'set-option -g remain-on-exit on\n')
    const size = ['-x', String(opts.columns ?? 80), '-y', String(opts.rows ?? 24)]
    const started = await this.tmux(
      ...['-f', config, 'new-session', '-d', '-s', this.session, ...size, '-c', opts.cwd],
      `${command}; echo "exit status $?"`,
    )
    if (started.exitCode !== 0) throw new Error(`tmux did not start: ${started.stderr}`)
  }

  tmux(...args: string[]) {
    return execa('tmux', ['-S', this.socket, ...args], { reject: false })
  }

  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', this.session, ...keys)
  }

  /** The lines the terminal shows; with `history`, the lines scrolled off the top before them. */
  async screen(history = false): Promise<string[]> {
    const { stdout } = await this.tmux(
      'capture-pane',
      '-p',
      '-t',
      this.session,
      ...(history ? ['-S', '-100'] : []),
    )
    return stdout.split('\n')
  }

  async waitForScreen(
    check: (lines: string[]) => boolean,
    what: string,
    timeout = 20_000,
  ): Promise<string[]> {
    let last: string[] = []
    await vi.waitFor(
      async () => {
        last = await this.screen()
        if (!check(last)) throw new Error(`the terminal does not show ${what}:\n${last.join('\n')}`)
      },
      { timeout, interval: 200 },
    )
    return last
  }

  /** A tmux format of the pane, e.g. `#{pane_pid}`. */
  async pane(format: string): Promise<string> {
    return (await this.tmux('display-message', '-p', '-t', this.session, format)).stdout.trim()
  }

  async kill(): Promise<void> {
    if (this.socket) await this.tmux('kill-server')
  }
}
