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
}

export interface DashboardHandle {
  /** Settles once the dashboard is gone: after `q`, Ctrl+C, or `unmount()`. */
  waitUntilExit(): Promise<void>
  unmount(): void
}

/**
 * Shows the dashboard on the terminal until `q` or Ctrl+C (both call `actions.onQuit`) or
 * `unmount()`. Ctrl+C is read as a key so that it quits the same clean way `q` does.
 */
export function mountDashboard(
  source: ModelSource,
  actions: DashboardActions,
  options: MountOptions = {},
): DashboardHandle {
  const instance = render(<App source={source} actions={actions} intervalMs={options.intervalMs} />, {
    stdin: options.stdin,
    stdout: options.stdout,
    stderr: options.stderr,
    exitOnCtrlC: false,
    alternateScreen: options.alternateScreen ?? true,
    maxFps: 10,
  })
  return {
    waitUntilExit: async () => {
      await instance.waitUntilExit()
    },
    unmount: () => instance.unmount(),
  }
}
