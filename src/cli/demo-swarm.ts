import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { execa } from 'execa'

/**
 * The demo's swarm: `farm` child processes, each with a home under one temporary directory.
 * Every child it starts is stopped by `stop()`, whatever happened before.
 */
/** How long a stopped `farm` child gets to stop its renderers before it is killed. */
const STOP_GRACE_MS = 20_000

export class DemoSwarm {
  readonly root: string
  private readonly nodes: DemoNode[] = []

  constructor(root: string) {
    this.root = root
  }

  home(name: string): string {
    return join(this.root, name)
  }

  /**
   * Runs a short `farm` command to its end; its stdout, or an error quoting its stderr. In a
   * process group of its own, so that an abort stops the renderers it started too.
   */
  async farm(args: string[], signal?: AbortSignal): Promise<string> {
    const child = execa(process.execPath, [farmMain(), ...args], {
      reject: false,
      stdin: 'ignore',
      detached: true,
    })
    const stop = () => {
      signalGroup(child.pid, 'SIGINT')
      setTimeout(() => signalGroup(child.pid, 'SIGKILL'), STOP_GRACE_MS).unref()
    }
    signal?.addEventListener('abort', stop, { once: true })
    const result = await child.finally(() => signal?.removeEventListener('abort', stop))
    signal?.throwIfAborted()
    if (result.exitCode !== 0) {
      throw new Error(
        `\`farm ${args.join(' ')}\` failed (exit ${result.exitCode ?? result.signal}): ${result.stderr.trim() || result.stdout.trim()}`,
      )
    }
    return result.stdout.trim()
  }

  /**
   * Starts `farm join` in a process group of its own, so that a stop reaches the renderers it
   * started and the terminal's Ctrl-C reaches only the demo, which stops it in order. It logs
   * to `<root>/<name>.log`.
   */
  join(name: string, args: string[]): DemoNode {
    const log = join(this.root, `${name}.log`)
    const fd = openSync(log, 'a')
    const child = spawn(process.execPath, [farmMain(), 'join', ...args], {
      stdio: ['ignore', fd, fd],
      detached: true,
    })
    closeSync(fd)
    const node = new DemoNode(name, child, log)
    this.nodes.push(node)
    return node
  }

  /** SIGINT to every node (they stop cleanly), SIGKILL to those still there after `graceMs`. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop(graceMs)))
  }
}

export class DemoNode {
  readonly name: string
  readonly log: string
  /** Settles with the exit code (or signal) when the process is gone. */
  readonly exited: Promise<number | string>
  private readonly child: ChildProcess

  constructor(name: string, child: ChildProcess, log: string) {
    this.name = name
    this.child = child
    this.log = log
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
      child.once('error', (err) => resolve(err.message))
    })
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  async stop(graceMs: number): Promise<void> {
    if (this.running) {
      this.signal('SIGINT')
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs)
      await this.exited
      clearTimeout(timer)
    }
    // A renderer that a crashed or killed node left behind is still in its group.
    this.signal('SIGKILL')
  }

  /** The last lines the node logged, to quote when it failed. */
  async tail(lines = 15): Promise<string> {
    const text = await readFile(this.log, 'utf8').catch(() => '')
    return text.trimEnd().split('\n').slice(-lines).join('\n')
  }

  private signal(signal: NodeJS.Signals): void {
    signalGroup(this.child.pid, signal)
  }
}

/** Signals every process of the group a child leads; a group already gone is no error. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/** The `farm` entry point this process runs: main.js when built, main.ts from the sources. */
function farmMain(): string {
  const main = process.argv[1]
  if (main === undefined) throw new Error('farm demo cannot tell which farm program it runs from')
  return main
}

/** A TCP port free on 127.0.0.1 a moment ago: the demo's nodes listen on loopback only. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise((resolve) => server.close(resolve))
  return port
}
