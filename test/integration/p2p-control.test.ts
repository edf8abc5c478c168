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
    server.handle('echo', async (params) => ({ got: params.value }))
    server.handle('fail', async () => {
      throw new FarmError('JOB_UNKNOWN', 'job abc is not in the ledger: check `farm jobs`', 2)
    })
    expect(await callNode(home, 'echo', { value: 42 })).toEqual({ got: 42 })
    await expect(callNode(home, 'fail')).rejects.toMatchObject({ code: 'JOB_UNKNOWN', exitCode: 2 })
    await expect(callNode(home, 'frobnicate')).rejects.toMatchObject({ code: 'UNKNOWN_METHOD', exitCode: 2 })
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
