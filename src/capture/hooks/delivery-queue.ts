/**
 * Hands items to a slow consumer (a command, a web server) one at a time, in order, without
 * ever making the producer wait: `push` returns at once, and when `max` items already wait the
 * oldest is dropped (and reported), so a dead webhook costs bounded memory and nothing else.
 */
export interface DeliveryQueueInit<T> {
  max: number
  deliver: (item: T, signal: AbortSignal) => Promise<void>
  /** An item dropped unsent: the queue was full, or closed before its turn. */
  onDrop: (item: T, why: 'full' | 'closed') => void
}

export class DeliveryQueue<T> {
  readonly #init: DeliveryQueueInit<T>
  readonly #waiting: T[] = []
  readonly #stop = new AbortController()
  #running: Promise<void> | undefined
  #closed = false

  constructor(init: DeliveryQueueInit<T>) {
    this.#init = init
  }

  push(item: T): void {
    if (this.#closed) {
      this.#init.onDrop(item, 'closed')
      return
    }
    if (this.#waiting.length >= this.#init.max) this.#init.onDrop(this.#waiting.shift()!, 'full')
    this.#waiting.push(item)
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined
    })
  }

  async #run(): Promise<void> {
    for (let item = this.#waiting.shift(); item !== undefined; item = this.#waiting.shift()) {
      if (this.#stop.signal.aborted) {
        this.#init.onDrop(item, 'closed')
        continue
      }
      // deliver() reports its own failures; one that throws anyway must not stop the queue.
      await this.#init.deliver(item, this.#stop.signal).catch(() => {})
    }
  }

  /**
   * Lets what waits be delivered for up to `graceMs` (a `--once` capture's event still reaches
   * its webhook), then aborts the delivery in progress and drops the rest.
   */
  async close(graceMs: number): Promise<void> {
    this.#closed = true
    const running = this.#running
    if (running === undefined) return
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([running, late])
    clearTimeout(timer)
    this.#stop.abort()
    await running
  }
}
