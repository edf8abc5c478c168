import type { Ledger } from '../../ledger/index.ts'
import type { LogLevel } from '../events/events.ts'
import { unavailable } from '../schedule/availability.ts'
import type { Hours } from '../schedule/hours.ts'
import { LoadProbe } from './idle.ts'

/** What the owner of a machine set on `farm join`. */
export interface OwnerLimits {
  /** Render only within these hours (`--schedule 22:00-07:00`). */
  schedule?: Hours
  /** Render only while the machine's own load is low (`--when-idle`). */
  whenIdle?: boolean
  /** Cores the renderers may use (`--max-cores`). */
  maxCores?: number
  /** Milli-credits per WU below which other owners' jobs are not accepted (`--min-price`). */
  minPrice?: number
}

/** The machine is the owner's when others use more than this share of all its cores. */
export const DEFAULT_IDLE_BELOW = 0.25
/** How often the load is sampled: the owner gets the machine back within about two of these. */
const SAMPLE_MS = 1_000
/** Quiet this long before rendering again, so a pause between two of the owner's tasks is not taken. */
const IDLE_HOLD_MS = 20_000

export interface OwnerGateHost {
  readonly id: string
  readonly ledger: Ledger
  log(level: LogLevel, message: string): void
}

/**
 * Keeps a worker to its owner's limits: whether it may claim now (by the ledger's switches and
 * its hours), and, with `--when-idle`, watches the machine's load: when the owner's own work
 * needs it, writes a `busy` toggle (every node then leaves this worker out) and calls
 * `onBusy` so the worker gives its renders back; once quiet again, writes it on.
 */
export class OwnerGate {
  private readonly host: OwnerGateHost
  private readonly limits: OwnerLimits
  private readonly probe: LoadProbe
  private readonly threshold: number
  private timer: NodeJS.Timeout | undefined
  private busy = false
  private quietSince: number | undefined
  onBusy: () => void = () => undefined

  constructor(host: OwnerGateHost, limits: OwnerLimits, probe?: LoadProbe) {
    this.host = host
    this.limits = limits
    const only = process.env.FARM_IDLE_ONLY
    this.probe = probe ?? new LoadProbe(only ? { only } : {})
    const below = Number(process.env.FARM_IDLE_BELOW)
    this.threshold = below > 0 && below <= 1 ? below : DEFAULT_IDLE_BELOW
  }

  /** Whether this worker may claim a frame at `now`. */
  mayClaim(now: number): boolean {
    return unavailable(this.host.ledger.state(), this.host.id, now) === undefined
  }

  async start(): Promise<void> {
    const state = this.host.ledger.state()
    const busyRecord = Object.values(state.toggles[this.host.id] ?? {}).find(
      (r) => r.author === this.host.id && r.cause === 'busy',
    )
    this.busy = busyRecord?.on === false
    // A restart without --when-idle, or a quiet machine, should not stay marked busy from before.
    if (this.busy && !this.limits.whenIdle) await this.mark(false)
    if (!this.limits.whenIdle) return
    await this.probe.busyShare()
    this.timer = setInterval(
      () => void this.check().catch((err: Error) => this.host.log('warn', `idle check: ${err.message}`)),
      SAMPLE_MS,
    )
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private async check(): Promise<void> {
    const share = await this.probe.busyShare()
    if (share === undefined || this.timer === undefined) return
    const now = Date.now()
    if (share > this.threshold) {
      this.quietSince = undefined
      if (!this.busy) {
        this.host.log(
          'info',
          `the machine is busy (${Math.round(share * 100)} % of its cores in use by others): rendering stops until it is idle`,
        )
        await this.mark(true)
        this.onBusy()
      }
      return
    }
    this.quietSince ??= now
    if (this.busy && now - this.quietSince >= IDLE_HOLD_MS) {
      this.host.log('info', 'the machine is idle again: rendering resumes')
      await this.mark(false)
    }
  }

  private async mark(busy: boolean): Promise<void> {
    this.busy = busy
    await this.host.ledger.append('toggle', { node: this.host.id, on: !busy, cause: 'busy' })
  }
}
