import { render } from 'ink'
import { App } from './App.tsx'
import type { DashboardActions, ModelSource } from './model.ts'

export interface MountOptions {
  stdin?: NodeJS.ReadableStream
  stdout?: NodeJS.WritableStream
  stderr?: NodeJS.WritableStream
  /** See App. */
  intervalMs?: number
  /** Draw on the terminal's alternate screen, as htop and less do, and give the old one back at exit. */
  alternateScreen?: boolean
  /** Route stray console output above the dashboard instead of through it (default true). */
  patchConsole?: boolean
}

export interface DashboardHandle {
  /** Settles once the dashboard is gone: after `q`, Ctrl+C, or `unmount()`. */
  waitUntilExit(): Promise<void>
  unmount(): void
}

/**
 * Shows the dashboard on the terminal until `q` or Ctrl+C (both call `actions.onQuit`) or
 * `unmount()`. Ctrl+C is read as a key so that it quits the same clean way `q` does; a SIGINT
 * sent from elsewhere (`kill -INT`) is the caller's to handle, by stopping the node and calling
 * `unmount()`. Call it only when stdout is a terminal: otherwise log lines (src/farm/log-format.ts).
 */
export function mountDashboard(
  source: ModelSource,
  actions: DashboardActions,
  options: MountOptions = {},
): DashboardHandle {
  const stdout = options.stdout ?? process.stdout
  const instance = render(<App source={source} actions={actions} intervalMs={options.intervalMs} />, {
    stdin: options.stdin,
    stdout,
    stderr: options.stderr,
    exitOnCtrlC: false,
    patchConsole: options.patchConsole ?? true,
    alternateScreen: options.alternateScreen ?? true,
    maxFps: 10,
    // Ink turns live drawing off when CI is set; the caller chose the dashboard for a terminal,
    // and a terminal gets it, in CI too (the tmux test).
    interactive: (stdout as { isTTY?: boolean }).isTTY === true,
  })
  return {
    waitUntilExit: async () => {
      await instance.waitUntilExit()
    },
    unmount: () => instance.unmount(),
  }
}
