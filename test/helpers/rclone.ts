import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { freePort } from './farm.ts'

/**
 * Real rclone backends for backup tests, on this machine only: a local folder, and a WebDAV
 * server (`rclone serve webdav`: rclone 1.60 has no `serve s3`) on 127.0.0.1 that a test can
 * stop and start again on the same port to play an outage.
 */

/** An empty rclone config of the test's own, so no user's remotes are read or written. */
export async function rcloneEnv(dir: string): Promise<Record<string, string>> {
  const config = join(dir, 'rclone.conf')
  await writeFile(config, '')
  return { RCLONE_CONFIG: config, FARM_WUPM: '1' }
}

/** The same for rclone started by this test process itself (RemoteBackup in-process); returns the undo. */
export async function useRcloneEnv(dir: string): Promise<() => Promise<void>> {
  const before = process.env.RCLONE_CONFIG
  process.env.RCLONE_CONFIG = (await rcloneEnv(dir)).RCLONE_CONFIG
  return async () => {
    if (before === undefined) delete process.env.RCLONE_CONFIG
    else process.env.RCLONE_CONFIG = before
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export interface WebdavServer {
  /** The rclone connection string of `path` on this server, password obscured as rclone wants it. */
  remote(path: string): string
  readonly password: string
  start(): Promise<void>
  stop(): Promise<void>
}

export async function webdavServer(root: string, env: Record<string, string>): Promise<WebdavServer> {
  const port = await freePort()
  const password = 'dav-Pl4nted-Secret'
  const obscured = (await execa('rclone', ['obscure', password], { env })).stdout.trim()
  let child: ResultPromise | undefined
  const server: WebdavServer = {
    password,
    remote: (path) => `:webdav,url='http://127.0.0.1:${port}',user=farm,pass=${obscured}:${path}`,
    async start() {
      child = execa(
        'rclone',
        ['serve', 'webdav', root, '--addr', `127.0.0.1:${port}`, '--user', 'farm', '--pass', password],
        { env, reject: false },
      )
      const deadline = Date.now() + 10_000
      while (!(await portOpen(port))) {
        if (Date.now() > deadline) throw new Error(`rclone serve webdav did not listen on ${port}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async stop() {
      child?.kill('SIGTERM')
      await child
      child = undefined
    },
  }
  await server.start()
  return server
}

/** A webhook target on 127.0.0.1 that keeps every request body, answering with the status the test sets. */
export async function webhookServer() {
  const bodies: unknown[] = []
  let status = 200
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      if (status < 300) bodies.push(JSON.parse(body))
      res.writeHead(status).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    /** Events of this type received so far. */
    of: (type: string) =>
      bodies.filter((b) => (b as { type: string }).type === type) as Record<string, unknown>[],
    answer(code: number) {
      status = code
    },
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
