import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { answerCaptureHave, askCaptureHave, HAVE_BATCH } from '../../src/farm/backup/capture-have.ts'
import { P2PError, type QueryHandler, type Swarm } from '../../src/p2p/index.ts'
import { answerQuery, askOver } from '../../src/p2p/query.ts'

/** Two swarms reduced to their query calls, joined by an in-memory stream per query. */
function pairOfSwarms() {
  const handlers = new Map<string, QueryHandler>()
  let queries = 0
  const holder = {
    answer: async (protocol: string, handler: QueryHandler) => {
      handlers.set(protocol, handler)
    },
  } as unknown as Swarm
  const asker = {
    ask: async (peer: string, protocol: string, request: unknown) => {
      const handler = handlers.get(protocol)
      // What Swarm.ask throws for a peer without the protocol.
      if (handler === undefined) throw P2PError.PROTOCOL_UNSUPPORTED(peer, protocol)
      queries++
      const [near, far] = await streamPair()
      const [answer] = await Promise.all([
        askOver(near, request, { peer }),
        answerQuery(far, handler, { peer: 'asker' }),
      ])
      return answer
    },
  } as unknown as Swarm
  return { holder, asker, queries: () => queries }
}

const hash = (n: number) => n.toString(16).padStart(64, '0')

describe('/farm/capture-have/1', () => {
  it('tells which frames a backup holds, in bounded batches, keeping the order asked', async () => {
    const { holder, asker, queries } = pairOfSwarms()
    await answerCaptureHave(holder, async (h) => Number.parseInt(h, 16) % 3 !== 0)
    const hashes = Array.from({ length: 2 * HAVE_BATCH + 5 }, (_, i) => hash(i))
    const held = await askCaptureHave(asker, 'backup', hashes)
    expect(held).toEqual(hashes.map((_, i) => i % 3 !== 0))
    expect(queries()).toBe(3)
    expect(await askCaptureHave(asker, 'backup', [])).toEqual([])
  })

  it('says a peer without the protocol keeps no backups, and refuses a malformed request', async () => {
    const { holder, asker } = pairOfSwarms()
    expect(await askCaptureHave(asker, 'laptop', [hash(1)])).toBeUndefined()
    await answerCaptureHave(holder, async () => true)
    await expect(askCaptureHave(asker, 'backup', ['../../etc/passwd'])).rejects.toThrow(
      'peer backup answered /farm/capture-have/1 with nonsense: a request must be {hashes}',
    )
  })
})
