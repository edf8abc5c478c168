import { spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * Runs a child to completion: node:child_process rather than execa because execa alone adds
 * ~18 MB to the resident size of a process meant to idle on a Pi for months.
 */
export interface RunResult {
  ok: boolean
  exitCode: number | null
  timedOut: boolean
  stdout: Buffer
  /** The last lines of stderr, enough to say what went wrong. */
  stderrTail: string
}

export interface RunOptions {
  input?: Uint8Array | AsyncIterable<Uint8Array>
  timeoutMs: number
  /** Stdout larger than this fails the run instead of filling memory. */
  maxStdout: number
  /** Through /bin/sh, in its own process group, so a timeout also kills what the shell started. */
  shell?: boolean
}

const STDERR_KEEP = 4096

export function run(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      shell: opts.shell === true,
      detached: opts.shell === true,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    const chunks: Buffer[] = []
    let size = 0
    let overflow = false
    let stderr = ''
    let timedOut = false
    const kill = () => {
      try {
        if (opts.shell && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        else child.kill('SIGKILL')
      } catch {
        // Already exited.
      }
    }
    const timer = setTimeout(() => {
      timedOut = true
      kill()
    }, opts.timeoutMs)
    child.stdout!.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > opts.maxStdout) {
        overflow = true
        kill()
      } else chunks.push(chunk)
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP)
    })
    if (opts.input !== undefined && child.stdin) {
      const source =
        opts.input instanceof Uint8Array ? Readable.from([opts.input]) : Readable.from(opts.input)
      // A child that exits early closes its stdin (EPIPE): its exit status tells the story.
      pipeline(source, child.stdin).catch(() => {})
    }
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      clearTimeout(timer)
      if (opts.shell) kill()
      const killed = signal !== null && !timedOut && !overflow ? `killed by ${signal}` : ''
      const tail = [
        error?.message,
        killed,
        overflow ? `output over ${opts.maxStdout} bytes` : '',
        stderr.trim(),
      ]
        .filter(Boolean)
        .join(' ')
      resolve({
        ok: exitCode === 0 && !timedOut && !overflow && error === undefined,
        exitCode,
        timedOut,
        stdout: Buffer.concat(chunks),
        stderrTail: tail.split('\n').slice(-4).join(' '),
      })
    }
    child.once('error', (err) => finish(null, null, err))
    child.once('close', (code, signal) => finish(code, signal))
  })
}
