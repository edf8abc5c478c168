import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { freePort } from './farm.ts'

/**
 * Real rclone backends for backup tests, on this machine only: a local folder, and servers on
 * 127.0.0.1 that a test can stop and start again on the same port to play an outage: WebDAV
 * (`rclone serve webdav`; rclone 1.60 has no `serve s3`), which keeps no hash, and SFTP
 * (`rclone serve sftp`), which gives md5 and sha1 as S3 gives md5.
 */

/** An empty rclone config and a cache of the test's own, so nothing of the user's is read or written. */
export async function rcloneEnv(dir: string): Promise<Record<string, string>> {
  const config = join(dir, 'rclone.conf')
  await writeFile(config, '')
  return { RCLONE_CONFIG: config, RCLONE_CACHE_DIR: join(dir, 'rclone-cache'), FARM_WUPM: '1' }
}

/** The same for rclone started by this test process itself (RemoteBackup in-process); returns the undo. */
export async function useRcloneEnv(dir: string): Promise<() => Promise<void>> {
  const before = { config: process.env.RCLONE_CONFIG, cache: process.env.RCLONE_CACHE_DIR }
  const env = await rcloneEnv(dir)
  process.env.RCLONE_CONFIG = env.RCLONE_CONFIG
  process.env.RCLONE_CACHE_DIR = env.RCLONE_CACHE_DIR
  return async () => {
    for (const [key, value] of [
      ['RCLONE_CONFIG', before.config],
      ['RCLONE_CACHE_DIR', before.cache],
    ] as const) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
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

export interface RcloneServer {
  /** The rclone connection string of `path` on this server, password obscured as rclone wants it. */
  remote(path: string): string
  readonly password: string
  start(): Promise<void>
  stop(): Promise<void>
}

export async function rcloneServer(
  kind: 'webdav' | 'sftp',
  root: string,
  env: Record<string, string>,
): Promise<RcloneServer> {
  const port = await freePort()
  const password = `${kind}-Pl4nted-Secret`
  const obscured = (await execa('rclone', ['obscure', password], { env })).stdout.trim()
  let child: ResultPromise | undefined
  const server: RcloneServer = {
    password,
    remote: (path) =>
      kind === 'webdav'
        ? `:webdav,url='http://127.0.0.1:${port}',user=farm,pass=${obscured}:${path}`
        : `:sftp,host=127.0.0.1,port=${port},user=farm,pass=${obscured}:${path}`,
    async start() {
      child = execa(
        'rclone',
        ['serve', kind, root, '--addr', `127.0.0.1:${port}`, '--user', 'farm', '--pass', password],
        { env, reject: false },
      )
      const deadline = Date.now() + 10_000
      while (!(await portOpen(port))) {
        if (Date.now() > deadline) throw new Error(`rclone serve ${kind} did not listen on ${port}`)
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
