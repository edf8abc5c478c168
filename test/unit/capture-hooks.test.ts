import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { DeliveryQueue } from '../../src/capture/hooks/delivery-queue.ts'
import { postEvent, webhookTarget } from '../../src/capture/hooks/webhook.ts'
import { hookEnv, splitCommand } from '../../src/capture/index.ts'

describe('--on-event commands', () => {
  it('split like a shell splits words, with nothing expanded', () => {
    expect(splitCommand('examples/hooks/latest-frame.sh /var/www/html')).toEqual([
      'examples/hooks/latest-frame.sh',
      '/var/www/html',
    ])
    expect(splitCommand(`node -e 'console.log($HOME)' "a \\"b\\" c" d\\ e`)).toEqual([
      'node',
      '-e',
      'console.log($HOME)',
      'a "b" c',
      'd e',
    ])
    expect(splitCommand("echo 'unclosed")).toBeUndefined()
    expect(splitCommand('   ')).toBeUndefined()
  })

  it('get the file an event is about in the environment', () => {
    expect(
      hookEnv({ type: 'frame:saved', ts: 1, path: '/c/frames/d/1.jpg', day: '2026-11-21' } as never),
    ).toEqual({
      FARM_EVENT: 'frame:saved',
      FARM_FRAME: '/c/frames/d/1.jpg',
      FARM_DAY: '2026-11-21',
    })
    expect(hookEnv({ type: 'job:stitched', ts: 1, job: 'abc', path: '/h/v.mp4' } as never)).toEqual({
      FARM_EVENT: 'job:stitched',
      FARM_VIDEO: '/h/v.mp4',
      FARM_JOB: 'abc',
    })
  })
})

describe('delivery to a slow consumer', () => {
  it('never makes the producer wait, keeps order, and drops the oldest when full', async () => {
    const delivered: number[] = []
    const dropped: number[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const queue = new DeliveryQueue<number>({
      max: 3,
      deliver: async (n) => {
        if (n === 0) await gate
        delivered.push(n)
      },
      onDrop: (n) => dropped.push(n),
    })
    for (let n = 0; n < 6; n++) queue.push(n)
    // 0 is being delivered; 1 and 2 were pushed out by 4 and 5.
    expect(dropped).toEqual([1, 2])
    release()
    await queue.close(1_000)
    expect(delivered).toEqual([0, 3, 4, 5])
  })

  it('gives up on what is left after the grace period of a stop', async () => {
    const dropped: number[] = []
    const queue = new DeliveryQueue<number>({
      max: 10,
      deliver: (_n, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
      onDrop: (n) => dropped.push(n),
    })
    queue.push(1)
    queue.push(2)
    const started = Date.now()
    await queue.close(200)
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(dropped).toEqual([2])
  })
})

describe('webhooks', () => {
  it('retry a 503 and a 429 (with its Retry-After), stop at a 404, and send credentials as a header', async () => {
    const answers = [503, 429, 200, 404]
    const seen: { auth?: string; body: string; type?: string }[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body, type: req.headers['x-farm-event'] as string })
        const status = answers.shift() ?? 500
        res.writeHead(status, status === 429 ? { 'retry-after': '0.05' } : {}).end()
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    try {
      const target = webhookTarget(`http://farm:t%40ken@127.0.0.1:${port}/hook`)
      expect(target.name).toBe(`http://127.0.0.1:${port}`)
      const policy = { attempts: 5, timeoutMs: 2_000, backoffMs: 10, maxWaitMs: 100 }
      const signal = new AbortController().signal
      const ok = await postEvent(target, 'frame:saved', '{"type":"frame:saved"}', signal, policy)
      expect(ok).toEqual({ ok: true, attempts: 3 })
      expect(seen[0]).toEqual({
        auth: `Basic ${Buffer.from('farm:t@ken').toString('base64')}`,
        body: '{"type":"frame:saved"}',
        type: 'frame:saved',
      })
      const refused = await postEvent(target, 'frame:saved', '{}', signal, policy)
      expect(refused).toEqual({ ok: false, attempts: 1, why: 'HTTP 404: not retried' })
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('give up after their attempts against a server that is not there', async () => {
    const closed = createServer().listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const { port } = closed.address() as AddressInfo
    await new Promise((r) => closed.close(r))
    const target = webhookTarget(`http://127.0.0.1:${port}/nothing`)
    const policy = { attempts: 3, timeoutMs: 1_000, backoffMs: 10, maxWaitMs: 100 }
    const outcome = await postEvent(target, 'x', '{}', new AbortController().signal, policy)
    expect(outcome).toEqual({ ok: false, attempts: 3, why: 'ECONNREFUSED' })
  })
})
