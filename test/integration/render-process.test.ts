import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { RenderError, runProgram } from '../../src/render/index.ts'
import { runRenderer } from '../../src/render/renderer.ts'

/** A process that exists and is not a zombie waiting for a parent that never reaps it. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (!(await alive(pid))) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return !(await alive(pid))
}

describe('runProgram, the one place farm starts a program', () => {
  it('keeps stdout and stderr as one text, with the exit code and a pasteable command', async () => {
    const result = await runProgram('sh', ['-c', 'echo one; echo two >&2; echo three; exit 3'])
    expect(result.output.split('\n').sort()).toEqual(['', 'one', 'three', 'two'])
    expect(result.exitCode).toBe(3)
    expect(result.ok).toBe(false)
    expect(result.command).toBe("sh -c 'echo one; echo two >&2; echo three; exit 3'")
  })

  it('keeps stdout apart as bytes when it is data, and feeds stdin from bytes or a stream', async () => {
    const bytes = Uint8Array.from([0, 255, 10, 13, 128])
    const fed = await runProgram('sh', ['-c', 'cat; echo oops >&2'], { input: bytes, stdout: 'bytes' })
    expect(fed.ok).toBe(true)
    expect([...fed.stdout]).toEqual([...bytes])
    expect(fed.output).toBe('oops\n')
    async function* parts() {
      yield new TextEncoder().encode('ab')
      yield new TextEncoder().encode('cd')
    }
    const streamed = await runProgram('cat', [], { input: parts(), stdout: 'bytes' })
    expect(streamed.stdout.toString()).toBe('abcd')
  })

  it('says when the program does not exist', async () => {
    const result = await runProgram('farm-no-such-program', ['x'])
    expect(result.ok).toBe(false)
    expect(result.spawnError?.code).toBe('ENOENT')
    expect(result.tail).toContain('ENOENT')
  })

  it('kills a hung command with everything it started once its time is up', async () => {
    const started = Date.now()
    const result = await runProgram('sleep 31 & echo $!; sleep 32', [], {
      shell: true,
      timeoutMs: 300,
      stdout: 'bytes',
    })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(result.timedOut).toBe(true)
    expect(result.ok).toBe(false)
    expect(await goneWithin(Number(result.stdout.toString()), 2_000)).toBe(true)
  })

  it('stops a program and its children on abort, and refuses to start once aborted', async () => {
    const stop = new AbortController()
    setTimeout(() => stop.abort(), 300)
    const result = await runProgram('sh', ['-c', 'sleep 33 & echo $!; sleep 34'], { signal: stop.signal })
    expect(result.aborted).toBe(true)
    expect(result.signal).toBe('SIGTERM')
    expect(result.tail).toContain('killed by SIGTERM')
    expect(await goneWithin(Number(result.output.trim()), 2_000)).toBe(true)
    await expect(runProgram('true', [], { signal: stop.signal })).rejects.toThrow()
  })

  it('kills what a program left running in the background when it ends', async () => {
    const result = await runProgram('sh', ['-c', 'sleep 35 >/dev/null 2>&1 & echo $!'])
    expect(result.ok).toBe(true)
    expect(await goneWithin(Number(result.output.trim()), 2_000)).toBe(true)
  })

  it('fails a program whose output would fill memory', async () => {
    const result = await runProgram('yes', [], { stdout: 'bytes', maxOutput: 10_000 })
    expect(result.overflow).toBe(true)
    expect(result.ok).toBe(false)
    expect(result.stdout.length).toBeLessThanOrEqual(10_000)
    expect(result.tail).toContain('output over 10000 bytes')
  })
})

describe('runRenderer', () => {
  it('names a renderer that is not installed and how to install it', async () => {
    const missing = runRenderer('farm-no-such-renderer', [], { cwd: '/' })
    await expect(missing).rejects.toBeInstanceOf(RenderError)
    await expect(missing).rejects.toMatchObject({
      code: 'RENDERER_MISSING',
      message: expect.stringMatching(/^farm-no-such-renderer is not installed: /),
    })
  })
})
