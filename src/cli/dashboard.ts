import {
  type AcceptPolicy,
  DashboardFeed,
  type DashboardNode,
  formatEvent,
  type LogFormat,
} from '../farm/index.ts'
import type { DashboardActions, ModelSource, MountOptions } from '../tui/index.ts'
import { onStopSignal } from './signals.ts'

/** A node the dashboard can run on: what it shows, and what its keys do. */
export interface RunnableNode extends DashboardNode {
  setPaused(paused: boolean): unknown
  accept(jobId: string): Promise<unknown>
  cancel(jobId: string): Promise<unknown>
  stop(): Promise<void>
}

export interface RunDashboardOptions {
  /** How the lines written after the dashboard closes (stopping, stopped) read. */
  logFormat?: LogFormat
  accept?: AcceptPolicy
  /** Closes the dashboard and stops the node, as `q` does, when the caller is done (`farm demo`). */
  signal?: AbortSignal
  mount?: MountOptions
}

/**
 * Shows the dashboard of a running node until `q`, Ctrl+C, SIGINT or SIGTERM, then stops the
 * node and resolves. The model is built from the node's state only when the dashboard draws.
 */
export async function runDashboard(node: RunnableNode, options: RunDashboardOptions = {}): Promise<void> {
  const { mountDashboard } = await import('../tui/index.ts')
  const view = new DashboardFeed(node, options.accept === undefined ? {} : { accept: options.accept })
  const source: ModelSource = {
    get: () => view.model(),
    subscribe: (listener) => view.subscribe(listener),
  }
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= node.stop()
    return stopping
  }
  const actions: DashboardActions = {
    onSelect(jobId) {
      view.select(jobId)
    },
    onOpen(jobId) {
      view.select(jobId)
    },
    async onAccept(jobId) {
      await node.accept(jobId)
    },
    async onPause() {
      await node.setPaused(!node.paused)
      view.changed()
    },
    async onCancel(jobId) {
      await node.cancel(jobId)
    },
    onQuit() {
      void stop()
    },
  }
  const handle = mountDashboard(source, actions, options.mount)
  const closeDashboard = () => {
    void stop()
    handle.unmount()
  }
  const releaseSignals = onStopSignal(closeDashboard)
  if (options.signal?.aborted) closeDashboard()
  options.signal?.addEventListener('abort', closeDashboard, { once: true })
  try {
    await handle.waitUntilExit()
    const say = (message: string) =>
      process.stderr.write(
        `${formatEvent({ type: 'log', ts: Date.now(), level: 'info', message }, options.logFormat)}\n`,
      )
    say('stopping the node')
    await stop()
    say('stopped')
  } finally {
    releaseSignals()
    options.signal?.removeEventListener('abort', closeDashboard)
    view.close()
  }
}
