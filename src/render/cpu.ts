import { constants } from 'node:os'

/**
 * A renderer's own CPU time, exactly: it runs under `sh`, which prints `times` on stderr once the
 * renderer has exited. The second line is the CPU time (user, system) of sh's children, which
 * counts every process the renderer started and waited for, and every thread. That is what a
 * frame costs whatever else shares the machine; a wall clock on a busy machine measures the
 * other users too (a verifier on an idle node saw an honest worker's loaded frame take 3.7x its
 * own time, and took it for a worker claiming too much).
 */
const TIMES_SCRIPT = '"$@"; status=$?; times >&2; exit $status'
/** sh's $0, which it puts before its own messages. */
const SCRIPT_NAME = 'farm-render'

/** `file args` run so that `takeTimes` finds its CPU time at the end of its stderr. */
export function timedCommand(file: string, args: string[]): { file: string; args: string[] } {
  return { file: '/bin/sh', args: ['-c', TIMES_SCRIPT, SCRIPT_NAME, file, ...args] }
}

// dash prints 0m1.230000s, bash 0m1.230s: the shell's own times, then its children's.
const TIME = String.raw`(\d+)m(\d+(?:\.\d+)?)s`
const TIMES = new RegExp(String.raw`${TIME} ${TIME}\n${TIME} ${TIME}\n?$`)

/**
 * The children's CPU time (ms) from the end of a timed command's stderr, and its output without
 * the lines sh added. Only the very end counts: whatever the renderer printed came before sh's
 * own last write, so a scene cannot print a time of its choosing.
 */
export function takeTimes(stderrTail: string, output: string): { cpuMs: number | undefined; output: string } {
  const match = TIMES.exec(stderrTail)
  if (!match) return { cpuMs: undefined, output }
  const seconds = (i: number) => Number(match[i]) * 60 + Number(match[i + 1])
  const cpuMs = Math.round((seconds(5) + seconds(7)) * 1000)
  const at = output.lastIndexOf(match[0].replace(/\n$/, ''))
  return {
    cpuMs,
    output: at === -1 ? output : output.slice(0, at) + output.slice(at + match[0].length),
  }
}

/**
 * The program a timed command's sh could not find (it exits 127 and says `NAME: 1: PROGRAM: not
 * found`), as a spawn of it would have failed with ENOENT.
 */
export function programNotFound(status: number | undefined, stderrTail: string): string | undefined {
  if (status !== 127) return undefined
  return new RegExp(String.raw`^${SCRIPT_NAME}: \d+: (.*): not found$`, 'm').exec(stderrTail)?.[1]
}

/** sh's exit status for a child a signal ended (128 + its number), as that signal's name. */
export function signalOfStatus(status: number | undefined): NodeJS.Signals | undefined {
  if (status === undefined || status <= 128) return undefined
  const number = status - 128
  return (Object.keys(constants.signals) as NodeJS.Signals[]).find(
    (name) => constants.signals[name] === number,
  )
}
