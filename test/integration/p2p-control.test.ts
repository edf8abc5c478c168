import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ControlServer, callNode, FarmError, subscribeNode } from '../../src/farm/index.ts'
import { tempDir } from '../helpers/farm.ts'

const servers: ControlServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function serve(home: string): Promise<ControlServer> {
  const server = new ControlServer(home)
  await server.listen(home)
  servers.push(server)
  return server
}

describe('the control socket', () => {
  it('answers methods and carries errors with their code and exit code', async () => {
    const home = await tempDir()
    const server = await serve(home)
    server.handle('invite', async () => 'farm1.invite')
    server.handle('job', async ({ id }) => {
      throw FarmError.UNKNOWN_JOB(id)
    })
    expect(await callNode(home, 'invite', {})).toBe('farm1.invite')
    await expect(callNode(home, 'job', { id: 'abc' })).rejects.toMatchObject({
      code: 'UNKNOWN_JOB',
      exitCode: 2,
      message: expect.stringContaining("no job 'abc'"),
    })
    await expect(callNode(home, 'jobs')).rejects.toMatchObject({ code: 'UNKNOWN_METHOD', exitCode: 2 })
  })

  it('refuses parameters its method does not take, before any handler runs', async () => {
    const home = await tempDir()
    const server = await serve(home)
    let called = false
    server.handle('job', async () => {
      called = true
      throw FarmError.UNKNOWN_JOB('?')
    })
    const call = callNode as (home: string, method: string, params: unknown) => Promise<unknown>
    await expect(call(home, 'job', { id: 42 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      exitCode: 2,
      message: expect.stringContaining("the parameters of 'job' are wrong"),
    })
    await expect(call(home, 'frobnicate', {})).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' })
    expect(called).toBe(false)
  })

  it('says how to start a node when none runs, replaces a stale socket and refuses a second node', async () => {
    const home = await tempDir()
    await expect(callNode(home, 'status')).rejects.toThrow(
      `no farm node is running in ${home}: start one with \`farm join --home ${home}\``,
    )
    await writeFile(join(home, 'farm.sock'), '')
    await serve(home)
    await expect(new ControlServer(home).listen(home)).rejects.toMatchObject({ code: 'NODE_RUNNING' })
  })

  it('streams published events to subscribers', async () => {
    const home = await tempDir()
    const server = await serve(home)
    const events = subscribeNode(home)
    const first = events.next()
    // Published until the subscription has reached the server: events before it are not replayed.
    const timer = setInterval(() => server.publish({ type: 'peer:joined', peer: 'p1' }), 20)
    expect((await first).value).toEqual({ type: 'peer:joined', peer: 'p1' })
    clearInterval(timer)
    await events.return(undefined)
  })
})
