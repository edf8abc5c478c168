/**
 * Runs `tick` now and again: on `wake` (news from the ledger or the swarm) and every `everyMs`
 * (leases expire silently). Never two ticks at once; a wake during a tick runs one more after.
 */
export class Ticker {
  private readonly tick: () => Promise<void>
  private readonly onError: (err: Error) => void
  private readonly everyMs: number
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = false

  constructor(tick: () => Promise<void>, opts: { everyMs: number; onError: (err: Error) => void }) {
    this.tick = tick
    this.everyMs = opts.everyMs
    this.onError = opts.onError
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.everyMs)
    this.wake()
  }

  get stopping(): boolean {
    return this.stopped
  }

  /** No more ticks; resolves once the one running (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.running
  }

  wake(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.tick()
      .catch((err: Error) => {
        if (!this.stopped) this.onError(err)
      })
      .finally(() => {
        this.running = undefined
        if (this.again && !this.stopped) {
          this.again = false
          this.wake()
        }
      })
  }
}
