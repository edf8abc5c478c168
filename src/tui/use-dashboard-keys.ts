import { type Key, useInput, useStdin } from 'ink'
import type { KeyBarProps } from './KeyBar.tsx'
import type { DashboardActions, DashboardModel, JobRow } from './model.ts'
import type { Selection } from './use-selection.ts'

export type View = 'overview' | 'job' | 'help'
export type Message = NonNullable<KeyBarProps['message']>

export interface DashboardKeysInit {
  model: DashboardModel
  actions: DashboardActions
  view: View
  setView(view: View): void
  selection: Pick<Selection, 'job' | 'move'>
  /** The job whose cancel waits for `y`. */
  confirming: string | undefined
  setConfirming(jobId: string | undefined): void
  setMessage(message: Message | undefined): void
  exit(): void
}

/**
 * The dashboard's keys. Off a terminal there is no raw mode and Ink's useInput would throw, so
 * the keys are simply off there (NOTES.md: `isRawModeSupported` is undefined, not false).
 */
export function useDashboardKeys(init: DashboardKeysInit): void {
  const { isRawModeSupported } = useStdin()
  useInput((input, key) => handleInput(init, input, key), { isActive: isRawModeSupported === true })
}

/**
 * Keys typed quickly (or over a slow ssh link) arrive together as one string: each is a key
 * press of its own, acting on what the ones before it did, as if they had come one at a time.
 */
function handleInput(init: DashboardKeysInit, input: string, key: Key): void {
  if (input.length <= 1 || key.ctrl || key.meta) {
    handleKey(init, input, key)
    return
  }
  const live: DashboardKeysInit = {
    ...init,
    setView(view) {
      live.view = view
      init.setView(view)
    },
    setConfirming(jobId) {
      live.confirming = jobId
      init.setConfirming(jobId)
    },
    selection: {
      job: init.selection.job,
      move(delta) {
        const job = init.selection.move(delta)
        live.selection = { ...live.selection, job }
        return job
      },
    },
  }
  for (const char of input) handleKey(live, char, char === '\r' ? { ...key, return: true } : key)
}

function handleKey(init: DashboardKeysInit, input: string, key: Key): void {
  const { actions, selection, setMessage } = init
  const job = selection.job
  if ((key.ctrl && input === 'c') || (input === 'q' && init.confirming === undefined)) {
    actions.onQuit()
    init.exit()
    return
  }
  setMessage(undefined)
  if (init.confirming !== undefined) {
    const confirmed = input === 'y' || input === 'Y'
    const target = init.model.jobs.find((j) => j.id === init.confirming)
    init.setConfirming(undefined)
    if (confirmed && target) run(init, () => actions.onCancel(target.id), `Cancelling ${target.name}…`)
    else setMessage({ text: `Kept ${target?.name ?? 'the job'}: not cancelled.`, tone: 'info' })
    return
  }
  if (init.view === 'help') {
    init.setView('overview')
    return
  }
  if (key.upArrow || input === 'k') selection.move(-1)
  else if (key.downArrow || input === 'j') selection.move(1)
  else if (key.escape) init.setView('overview')
  else if (input === '?') init.setView('help')
  else if (input === 'p')
    run(init, () => actions.onPause(), init.model.header.paused ? 'Resuming…' : 'Pausing…')
  else if (job === undefined) return
  else if (key.return) {
    const opening = init.view !== 'job'
    init.setView(opening ? 'job' : 'overview')
    if (opening) actions.onOpen?.(job.id)
  } else if (input === 'a') accept(init, job)
  else if (input === 'c') cancel(init, job)
}

function accept(init: DashboardKeysInit, job: JobRow): void {
  if (job.own)
    init.setMessage({ text: `${job.name} is your own job: this worker renders it already.`, tone: 'info' })
  else if (job.accepted) init.setMessage({ text: `This worker already renders ${job.name}.`, tone: 'info' })
  else run(init, () => init.actions.onAccept(job.id), `Accepted ${job.name}: this worker takes its frames.`)
}

function cancel(init: DashboardKeysInit, job: JobRow): void {
  if (!job.own) {
    init.setMessage({
      text: `${job.name} belongs to ${job.owner}: only its owner can cancel it.`,
      tone: 'error',
    })
  } else if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') {
    init.setMessage({ text: `${job.name} is ${job.state} already.`, tone: 'info' })
  } else {
    init.setConfirming(job.id)
    init.setMessage({
      text: `Cancel ${job.name} (${job.verified}/${job.frames} frames verified)? y cancels it, any other key keeps it.`,
      tone: 'question',
    })
  }
}

/** Says what a key did, or why the farm refused it when the action throws or rejects. */
function run(init: DashboardKeysInit, action: () => void | Promise<void>, done: string): void {
  const fail = (err: unknown) =>
    init.setMessage({ text: err instanceof Error ? err.message : String(err), tone: 'error' })
  try {
    const result = action()
    init.setMessage({ text: done, tone: 'info' })
    if (result instanceof Promise) result.catch(fail)
  } catch (err) {
    fail(err)
  }
}
