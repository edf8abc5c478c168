import { spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { programNotFound, signalOfStatus, takeTimes } from './cpu.ts'

/**
 * The one place farm starts a program: renderers, ffmpeg, tool probes and camera commands.
 *
 * node:child_process rather than execa: execa adds ~18 MB to the resident size of a process
 * that loads it, and `farm capture` is meant to idle on a Pi for months; everything farm needs
 * from a child (its group, its limits, its output) is a few lines here.
 *
 * Every child leads its own process group, and every kill is of the whole group: what a
 * renderer or a camera command started dies with it, on a stop, on a time limit, and when it
 * ends (a background process it left behind is killed then too).
 */
export interface RunOptions {
  cwd?: string
  /** Set on top of the environment this process has. */
  env?: Record<string, string>
  /** What the child reads on stdin; it reads nothing (/dev/null) when undefined. */
  input?: Uint8Array | AsyncIterable<Uint8Array>
  /** Runs `file` as a /bin/sh command line (then `args` is empty). */
  shell?: boolean
  /**
   * 'text' (default): stdout joins stderr in `output`, as they arrive (the two pipes keep no
   * common order). 'bytes': stdout is data (an image, a video), kept apart in `stdout`.
   */
  stdout?: 'text' | 'bytes'
  /** Kept output (`output`, or `stdout` with 'bytes') over this size kills the child and fails the run. */
  maxOutput?: number
  /** Stops the child: SIGTERM to its group, then SIGKILL if it has not ended after a grace period. */
  signal?: AbortSignal
  /** Kills the child's group outright once it has run this long. */
  timeoutMs?: number
  /** Called with the child's pid (its group's id) as soon as it has started. */
  onSpawn?: (pid: number) => void
  /**
   * The command is a `timedCommand` (cpu.ts): its CPU time is read off the end of its stderr into
   * `cpuMs`; an exit status of 128 + n is reported as signal n, and a program sh did not find as
   * a `spawnError` ENOENT, as without the shell.
   */
  times?: boolean
}

export interface RunResult {
  /** The command line as a shell would take it, for messages. */
  command: string
  /** undefined when a signal ended the child, or it never started. */
  exitCode: number | undefined
  signal: NodeJS.Signals | undefined
  /** Why the child could not be started (ENOENT: no such program), when it could not. */
  spawnError: NodeJS.ErrnoException | undefined
  timedOut: boolean
  aborted: boolean
  /** Its output went over `maxOutput`. */
  overflow: boolean
  /** It exited 0 by itself, within its limits. */
  ok: boolean
  /**
   * What it printed, for a person: stdout and stderr together, or with stdout 'bytes' the last
   * STDERR_KEEP characters of stderr. The start error's message when it never started.
   */
  output: string
  /** Its stdout with stdout 'bytes'; empty otherwise. */
  stdout: Buffer
  /** With `times`, the CPU time (ms) of everything it ran; undefined when it could not say. */
  cpuMs: number | undefined
  /** How the run ended, when not by itself, and its last lines of output, on one line: for logs. */
  tail: string
}

/** How long a child has to exit after SIGTERM before its group is killed outright. */
export const KILL_GRACE_MS = 5_000

/** As execa's default maxBuffer, which the renderers ran under before this runner. */
const DEFAULT_MAX_OUTPUT = 100_000_000

/** Enough of stderr to say what went wrong when stdout is data. */
const STDERR_KEEP = 4096

export async function runProgram(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  opts.signal?.throwIfAborted()
  const bytes = opts.stdout === 'bytes'
  const maxOutput = opts.maxOutput ?? DEFAULT_MAX_OUTPUT
  const command = opts.shell ? file : commandLine(file, args)
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      shell: opts.shell === true,
      detached: true,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      ...(opts.env === undefined ? {} : { env: { ...process.env, ...opts.env } }),
    })
    if (child.pid !== undefined) opts.onSpawn?.(child.pid)
    const chunks: Buffer[] = []
    let size = 0
    let output = ''
    let stderrTail = ''
    let timedOut = false
    let aborted = false
    let overflow = false
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return
      try {
        process.kill(-child.pid, signal)
      } catch {
        // The group has already exited.
      }
    }
    const overflowed = () => {
      overflow = true
      killGroup('SIGKILL')
    }
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            killGroup('SIGKILL')
          }, opts.timeoutMs)
    let forceKill: NodeJS.Timeout | undefined
    const onAbort = () => {
      aborted = true
      killGroup('SIGTERM')
      forceKill = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS)
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })

    child.stderr!.setEncoding('utf8')
    if (bytes) {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (overflow) return
        size += chunk.length
        if (size > maxOutput) overflowed()
        else chunks.push(chunk)
      })
      child.stderr!.on('data', (text: string) => {
        output = (output + text).slice(-STDERR_KEEP)
      })
    } else {
      const keep = (text: string) => {
        if (overflow) return
        if (output.length + text.length > maxOutput) overflowed()
        else output += text
      }
      child.stdout!.setEncoding('utf8')
      child.stdout!.on('data', keep)
      child.stderr!.on('data', (text: string) => {
        if (opts.times) stderrTail = (stderrTail + text).slice(-STDERR_KEEP)
        keep(text)
      })
    }
    if (opts.input !== undefined && child.stdin) {
      const source =
        opts.input instanceof Uint8Array ? Readable.from([opts.input]) : Readable.from(opts.input)
      // A child that exits early closes its stdin (EPIPE): its exit status tells the story.
      pipeline(source, child.stdin).catch(() => {})
    }

    let settled = false
    const finish = (
      code: number | null,
      signal: NodeJS.Signals | null,
      spawnError?: NodeJS.ErrnoException,
    ) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(forceKill)
      opts.signal?.removeEventListener('abort', onAbort)
      killGroup('SIGKILL')
      let exitCode = code ?? undefined
      let cpuMs: number | undefined
      if (opts.times) {
        const timed = takeTimes(stderrTail, output)
        cpuMs = timed.cpuMs
        output = timed.output
        const bySignal = signalOfStatus(exitCode)
        const missing = programNotFound(exitCode, stderrTail)
        if (bySignal !== undefined) {
          signal = bySignal
          exitCode = undefined
        } else if (missing !== undefined) {
          spawnError = Object.assign(new Error(`spawn ${missing} ENOENT`), { code: 'ENOENT' })
          exitCode = undefined
        }
      }
      const text = spawnError === undefined ? output : spawnError.message
      const killed = signal !== null && !timedOut && !overflow ? `killed by ${signal}` : ''
      const last = output.slice(-STDERR_KEEP).trim()
      const tail = [spawnError?.message, killed, overflow ? `output over ${maxOutput} bytes` : '', last]
        .filter(Boolean)
        .join(' ')
      resolve({
        command,
        exitCode,
        signal: signal ?? undefined,
        spawnError,
        timedOut,
        aborted,
        overflow,
        ok: exitCode === 0 && !timedOut && !overflow && !aborted && spawnError === undefined,
        output: text,
        stdout: Buffer.concat(chunks),
        cpuMs,
        tail: tail.split('\n').slice(-4).join(' '),
      })
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      // Started children report their end through 'close'; this is for those that never started.
      if (child.pid === undefined) finish(null, null, err)
    })
    child.once('close', (code, signal) => finish(code, signal))
  })
}

/** A command line as a shell would take it, for messages. */
export function commandLine(file: string, args: string[]): string {
  return [file, ...args].map(quote).join(' ')
}

/** An argument quoted for a POSIX shell, control characters escaped so a command in a message stays one line. */
function quote(arg: string): string {
  const visible = arg.replace(
    /\p{Cc}/gu,
    (c) => CONTROL[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return /^[\w\-./]+$/.test(visible) ? visible : `'${visible.replaceAll("'", "'\\''")}'`
}

const CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' }
