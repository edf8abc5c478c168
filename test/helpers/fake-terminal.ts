import { EventEmitter } from 'node:events'

/** Enough of a terminal for Ink: a size that can change, raw mode, keys to type. */
export class FakeTerminalOut extends EventEmitter {
  readonly isTTY = true
  columns = 80
  rows = 24
  written = ''
  write(data: string, ...rest: unknown[]): boolean {
    this.written += data
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined
    if (done) queueMicrotask(done)
    return true
  }
  resize(columns: number, rows: number) {
    this.columns = columns
    this.rows = rows
    this.emit('resize')
  }
}

export class FakeTerminalIn extends EventEmitter {
  readonly isTTY = true
  private pending: string[] = []
  type(data: string) {
    this.pending.push(data)
    this.emit('readable')
  }
  read(): string | null {
    return this.pending.shift() ?? null
  }
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}
