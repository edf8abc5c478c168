import { existsSync, realpathSync } from 'node:fs'
import { totalmem } from 'node:os'
import { delimiter, dirname, isAbsolute, join } from 'node:path'
import { timedCommand } from './cpu.ts'
import { runProgram } from './process.ts'
import { type PidsCgroup, pidsCgroup } from './sandbox-cgroup.ts'

/**
 * A renderer run inside bubblewrap, for scenes this node's owner did not write. The renderer
 * sees the system's programs, libraries and fonts read-only, the job's scene read-only, one
 * writable directory (the chunk's), an empty private /tmp and $HOME, a cleared environment, no
 * network and no other process; it dies with the node, and it is bounded in address space, file
 * size and processes. Paths inside are the paths outside, so the renderer's messages (and the
 * pixels: nothing it reads differs) are those of a plain run.
 *
 * bubblewrap rather than nsjail (not packaged in Debian 12) or Landlock (no network or process
 * isolation, and no binding from Node without a native module): bwrap is one small setuid-free
 * program that root and, where user namespaces are allowed, any user can run.
 */
export interface SandboxSpec {
  /** Directories the program reads, bound read-only at their own paths: the job's scene. */
  read: string[]
  /** The one directory it writes, bound read-write at its own path: the chunk's. */
  write: string
  /** Files farm wrote, bound read-only over a path inside (POV-Ray's povray.conf). */
  overlays?: { source: string; target: string }[]
  limits?: Partial<SandboxLimits>
}

export interface SandboxLimits {
  /** Bytes of address space (RLIMIT_AS). */
  addressSpace: number
  /** Bytes of any one file it writes (RLIMIT_FSIZE). */
  fileSize: number
  /** Processes and threads at once: a pids cgroup where one is writable, else RLIMIT_NPROC. */
  processes: number
}

/** $HOME inside the sandbox: an empty tmpfs. */
export const SANDBOX_HOME = '/home/farm'

const GIB = 1024 ** 3

/** Room for Blender's Cycles on a big scene, but not for a scene that allocates without end. */
export function defaultLimits(): SandboxLimits {
  return { addressSpace: Math.max(8 * GIB, 2 * totalmem()), fileSize: 4 * GIB, processes: 512 }
}

/** What the system's programs need of /etc: the loader's cache, fonts, Debian's alternatives, POV-Ray's ini. */
const ETC = ['ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'fonts', 'alternatives', 'povray', 'localtime']

/** The program's absolute path, as a shell would find it on PATH; the name itself when not found. */
export function resolveProgram(file: string): string {
  if (isAbsolute(file)) return file
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, file)
    if (dir !== '' && existsSync(candidate)) return candidate
  }
  return file
}

/** The bwrap arguments that run `program args` in the sandbox `spec` describes, in `cwd`. */
export function bwrapArgs(program: string, args: string[], spec: SandboxSpec, cwd: string): string[] {
  const out = [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--setenv',
    'PATH',
    '/usr/bin:/bin',
    '--setenv',
    'HOME',
    SANDBOX_HOME,
    '--setenv',
    'TMPDIR',
    '/tmp',
    '--setenv',
    'LC_ALL',
    'C',
    '--ro-bind',
    '/usr',
    '/usr',
  ]
  // Merged-/usr systems link /bin, /lib... into /usr; others have them as directories.
  for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const path = `/${top}`
    if (!existsSync(path)) continue
    const real = realpathSync(path)
    if (real.startsWith('/usr/')) out.push('--symlink', real.slice(1), path)
    else out.push('--ro-bind', path, path)
  }
  for (const name of ETC) out.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`)
  out.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', SANDBOX_HOME)
  // A renderer installed outside /usr (e.g. Blender from blender.org under /opt) brings its own tree.
  const real = existsSync(program) ? realpathSync(program) : program
  if (isAbsolute(real) && !real.startsWith('/usr/')) out.push('--ro-bind', dirname(real), dirname(real))
  for (const dir of spec.read) out.push('--ro-bind', dir, dir)
  out.push('--bind', spec.write, spec.write)
  for (const { source, target } of spec.overlays ?? []) out.push('--ro-bind', source, target)
  const timed = timedCommand(real, args)
  out.push('--chdir', cwd, '--', timed.file, ...timed.args)
  return out
}

/** prlimit's arguments for the limits; RLIMIT_NPROC only without a cgroup and for a user it binds. */
function prlimitArgs(limits: SandboxLimits, cgroup: PidsCgroup | undefined): string[] {
  const args = [`--as=${limits.addressSpace}`, `--fsize=${limits.fileSize}`, '--core=0']
  // RLIMIT_NPROC counts all of the user's processes and never binds root: a cgroup is better.
  if (cgroup === undefined && process.getuid?.() !== 0) args.push(`--nproc=${limits.processes}`)
  return args
}

export interface SandboxedCommand {
  file: string
  args: string[]
  /** Removes what the run needed outside (its cgroup); call once it has ended. */
  cleanup(): Promise<void>
}

/**
 * The command line that runs `program args` sandboxed: `sh` joins a pids cgroup (where one is
 * writable) before anything else runs, prlimit sets the limits, bwrap builds the sandbox. Each
 * execs the next, so the group runProgram kills is the sandbox's.
 */
export async function sandboxedCommand(
  program: string,
  args: string[],
  spec: SandboxSpec,
  cwd: string,
): Promise<SandboxedCommand> {
  const limits = { ...defaultLimits(), ...spec.limits }
  const cgroup = await pidsCgroup(limits.processes)
  const inner = [
    'prlimit',
    ...prlimitArgs(limits, cgroup),
    '--',
    'bwrap',
    ...bwrapArgs(resolveProgram(program), args, spec, cwd),
  ]
  if (cgroup === undefined) return { file: inner[0]!, args: inner.slice(1), cleanup: async () => {} }
  return {
    file: '/bin/sh',
    args: ['-c', 'echo $$ > "$0" && exec "$@"', cgroup.procsFile, ...inner],
    cleanup: () => cgroup.remove(),
  }
}

/**
 * A renderer of this node's own scene, with its full rights, but tied to the node: bwrap's
 * --die-with-parent kills it when the node dies, even by kill -9, which a detached child
 * otherwise outlives.
 */
export function tetheredCommand(
  program: string,
  args: string[],
  cwd: string,
): { file: string; args: string[] } {
  const timed = timedCommand(resolveProgram(program), args)
  return {
    file: 'bwrap',
    args: [
      '--dev-bind',
      '/',
      '/',
      // Its own pid namespace: the renderer runs under sh (cpu.ts), and --die-with-parent kills
      // only the process bwrap starts; the namespace ends with all of it.
      '--unshare-pid',
      '--die-with-parent',
      '--chdir',
      cwd,
      '--',
      timed.file,
      ...timed.args,
    ],
  }
}

export interface SandboxReport {
  ok: boolean
  /** Why not, and what to do, when not ok. */
  problem?: string
  /** How the process count is bounded here. */
  processLimit: string
}

let cached: Promise<SandboxReport> | undefined

/** Whether bwrap can build a sandbox on this machine (probed once per process). */
export function sandboxReport(): Promise<SandboxReport> {
  cached ??= probeSandbox()
  return cached
}

async function probeSandbox(): Promise<SandboxReport> {
  const cgroup = await pidsCgroup(8)
  await cgroup?.remove()
  const processLimit =
    cgroup !== undefined
      ? `pids cgroup under ${dirname(dirname(cgroup.procsFile))}`
      : process.getuid?.() === 0
        ? 'none: no writable pids cgroup, and RLIMIT_NPROC does not bind root'
        : 'RLIMIT_NPROC (no writable pids cgroup)'
  // The mounts every sandbox makes, not only the namespaces: in a container whose /proc has
  // masked paths (podman's and Kubernetes' default), the namespaces are allowed but a /proc of
  // the sandbox's own is not, and every render would fail.
  const run = await runProgram(
    'bwrap',
    [
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--ro-bind',
      '/',
      '/',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      'true',
    ],
    { timeoutMs: 30_000 },
  )
  if (run.spawnError?.code === 'ENOENT')
    return {
      ok: false,
      problem:
        'bubblewrap (bwrap) is not installed: run `sudo apt-get install bubblewrap` (or `npm run setup`)',
      processLimit,
    }
  if (!run.ok) {
    const why = run.output.trim().split('\n').at(-1) ?? ''
    if (/mount proc/i.test(why))
      return {
        ok: false,
        problem: `bwrap cannot mount a /proc of the sandbox's own here (${why}): in a container, run it with /proc unmasked (podman run --security-opt unmask=/proc/*; in Kubernetes, hostUsers: false and the container's securityContext.procMount: Unmasked)`,
        processLimit,
      }
    const userns = /namespace|Operation not permitted|setting up uid map|No permissions/i.test(why)
    return {
      ok: false,
      problem: `bwrap cannot build a sandbox here (${why || run.tail})${
        userns
          ? ': user namespaces are disabled (in a container, allow them; on the host, sysctl kernel.unprivileged_userns_clone=1)'
          : ''
      }`,
      processLimit,
    }
  }
  const limits = await runProgram('prlimit', ['--version'], { timeoutMs: 30_000 })
  if (!limits.ok)
    return {
      ok: false,
      problem: 'prlimit (util-linux) is not installed: run `sudo apt-get install util-linux`',
      processLimit,
    }
  return { ok: true, processLimit }
}
