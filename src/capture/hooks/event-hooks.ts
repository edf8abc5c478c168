import type { CaptureLog } from '../capturer.ts'
import { CaptureError } from '../errors.ts'
import { type Redact, redactUrl, urlSecrets } from '../redact.ts'
import { type HookEvent, hookName, runHook } from './command-hook.ts'
import { DeliveryQueue } from './delivery-queue.ts'
import { splitCommand } from './split-command.ts'
import { postEvent, type WebhookTarget, webhookTarget } from './webhook.ts'

export interface EventHooksInit {
  /** `--on-event CMD`: run for each event, no shell. */
  command?: string
  /** `--webhook URL`: each event POSTed as JSON. */
  webhook?: string
  log: CaptureLog
  /** Applied to every line this logs (a failing hook's output may echo anything). */
  redact: Redact
  /** Events that wait for a slow hook before the oldest is dropped. */
  maxWaiting?: number
}

/** Room for a burst (a restart finalising days, a swarm's job finishing) without unbounded memory. */
const MAX_WAITING = 100

/**
 * What a stop leaves the hooks to deliver what is queued; `--once` gives them longer
 * (ONCE_HOOKS_GRACE_MS), since delivering its frame's events is half of what it is run for.
 */
export const HOOKS_GRACE_MS = 5_000
export const ONCE_HOOKS_GRACE_MS = 30_000

/** The secrets of the hooks' options, for the process's redactor: a webhook's path is often its token. */
export function hookSecrets(init: Pick<EventHooksInit, 'webhook'>): string[] {
  if (init.webhook === undefined) return []
  const url = new URL(init.webhook)
  const parts = url.pathname.split('/').filter((p) => p.length >= 8)
  return [...urlSecrets(init.webhook), ...parts, init.webhook]
}

/**
 * `--on-event` and `--webhook` for one process (`farm capture` or `farm join`): each event goes
 * to both, in order, never making the caller wait; a failure is logged and never retried past
 * its bounds (the webhook's attempts; one run of the command).
 */
export class EventHooks {
  readonly #queues: DeliveryQueue<HookEvent>[] = []

  constructor(init: EventHooksInit) {
    const max = init.maxWaiting ?? MAX_WAITING
    const log = (level: 'info' | 'warn' | 'error', message: string) => init.log(level, init.redact(message))
    const dropped = (what: string) => (event: HookEvent, why: 'full' | 'closed') =>
      log(
        'warn',
        why === 'full'
          ? `${what}: ${max} events waiting, ${event.type} of ${new Date(event.ts).toISOString()} dropped`
          : `${what}: stopping, ${event.type} of ${new Date(event.ts).toISOString()} not delivered`,
      )
    if (init.command !== undefined) {
      const argv = parseHookCommand(init.command)
      const what = `--on-event ${hookName(argv)}`
      this.#queues.push(
        new DeliveryQueue({
          max,
          onDrop: dropped(what),
          deliver: async (event, signal) => {
            const run = await runHook(argv, event, signal)
            if (!run.ok) log('warn', `${what} failed for ${event.type}: ${run.why}`)
          },
        }),
      )
    }
    if (init.webhook !== undefined) {
      const target = parseWebhook(init.webhook)
      const what = `--webhook ${target.name}`
      this.#queues.push(
        new DeliveryQueue({
          max,
          onDrop: dropped(what),
          deliver: async (event, signal) => {
            const sent = await postEvent(target, event.type, JSON.stringify(event), signal)
            if (!sent.ok)
              log('warn', `${what}: ${event.type} not delivered after ${sent.attempts} attempts: ${sent.why}`)
          },
        }),
      )
    }
  }

  deliver(event: HookEvent): void {
    for (const queue of this.#queues) queue.push(event)
  }

  async close(graceMs = HOOKS_GRACE_MS): Promise<void> {
    await Promise.all(this.#queues.map((q) => q.close(graceMs)))
  }
}

function parseHookCommand(text: string): string[] {
  const argv = splitCommand(text)
  if (argv === undefined)
    throw CaptureError.BAD_OPTION(
      '--on-event',
      text,
      'a program and its arguments, quotes closed, e.g. "examples/hooks/post-video.sh"',
    )
  return argv
}

function parseWebhook(text: string): WebhookTarget {
  try {
    if (/^https?:\/\//i.test(text)) return webhookTarget(text)
  } catch {
    // Not a URL after all: the same answer as any other text.
  }
  throw CaptureError.BAD_OPTION('--webhook', redactUrl(text), 'an http:// or https:// URL')
}
