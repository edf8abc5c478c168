import { setTimeout as sleep } from 'node:timers/promises'
import { credentialsAsHeader } from '../redact.ts'

/** A webhook as farm POSTs to it: the URL without credentials, which go in a header instead. */
export interface WebhookTarget {
  url: string
  authorization?: string
  /** How logs name it: its origin only, since a path often is the token (chat webhooks). */
  name: string
}

export function webhookTarget(url: string): WebhookTarget {
  const { url: bare, authorization } = credentialsAsHeader(url)
  return { url: bare, name: new URL(bare).origin, ...(authorization ? { authorization } : {}) }
}

export interface RetryPolicy {
  attempts: number
  /** Per attempt, answer included. */
  timeoutMs: number
  /** The wait after the first failure; doubled after each one. */
  backoffMs: number
  /** A Retry-After longer than this is cut to it. */
  maxWaitMs: number
}

export const WEBHOOK_RETRY: RetryPolicy = {
  attempts: 5,
  timeoutMs: 10_000,
  backoffMs: 1_000,
  maxWaitMs: 60_000,
}

export type PostOutcome = { ok: true; attempts: number } | { ok: false; attempts: number; why: string }

/**
 * POSTs `body` (an event's JSON) until the server takes it (2xx), says it never will (a 4xx
 * other than 408 and 429: a wrong URL does not heal), or the attempts run out. Network errors,
 * time-outs, 408, 429 and 5xx are retried with a doubling wait, or the server's Retry-After.
 */
export async function postEvent(
  target: WebhookTarget,
  type: string,
  body: string,
  signal: AbortSignal,
  policy: RetryPolicy = WEBHOOK_RETRY,
): Promise<PostOutcome> {
  let why = 'not sent'
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let waitMs = Math.min(policy.backoffMs * 2 ** (attempt - 1), policy.maxWaitMs)
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        body,
        redirect: 'error',
        signal: AbortSignal.any([signal, AbortSignal.timeout(policy.timeoutMs)]),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'farm',
          'x-farm-event': type,
          ...(target.authorization ? { authorization: target.authorization } : {}),
        },
      })
      await response.body?.cancel()
      if (response.ok) return { ok: true, attempts: attempt }
      why = `HTTP ${response.status}`
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429
      if (!retryable) return { ok: false, attempts: attempt, why: `${why}: not retried` }
      const after = Number(response.headers.get('retry-after'))
      if (Number.isFinite(after) && after > 0) waitMs = Math.min(after * 1000, policy.maxWaitMs)
    } catch (err) {
      if (signal.aborted) return { ok: false, attempts: attempt, why: 'stopped' }
      why =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${policy.timeoutMs} ms`
          : causeOf(err)
    }
    if (attempt < policy.attempts) {
      try {
        await sleep(waitMs, undefined, { signal })
      } catch {
        return { ok: false, attempts: attempt, why: 'stopped' }
      }
    }
  }
  return { ok: false, attempts: policy.attempts, why }
}

/** fetch says "fetch failed"; what failed is in its cause (ECONNREFUSED, ENOTFOUND...). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))
}
