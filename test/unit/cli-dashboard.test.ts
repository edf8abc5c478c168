import { EventEmitter } from 'node:events'
import { stripVTControlCharacters } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { type RunnableNode, runDashboard } from '../../src/cli/dashboard.ts'
import type { Activity, FarmEvent } from '../../src/farm/index.ts'
import type { FarmState } from '../../src/ledger/index.ts'
import { emptyJob, emptyState } from '../../src/ledger/state.ts'
import { FakeTerminalIn, FakeTerminalOut } from '../helpers/fake-terminal.ts'
import { jobBody } from './ledger-fixtures.ts'

const ALPHA = '12D3KooWalpha'
const BETA = '12D3KooWbeta'
const JOB = 'a'.repeat(64)

/** A node as the dashboard sees it, over a hand-made state; it records what the keys asked. */
class FakeNode extends EventEmitter<{ event: [FarmEvent] }> implements RunnableNode {
  readonly id = ALPHA
  readonly name = 'alpha'
  readonly owner = 'alice'
  readonly swarmId = '3f9a2c1b0d4e5f60'
  paused = false
  calls: string[] = []
  current: FarmState
  connected = [{ id: BETA }]
  doing: Activity = { kind: 'idle' }
  readonly swarm = new EventEmitter<{ 'sync:done': [{ peer: string; theirs: Record<string, number> }] }>()
  constructor(state: FarmState) {
    super()
    this.current = state
  }
  state() {
    return this.current
  }
  peers() {
    return this.connected
  }
  activity() {
    return this.doing
  }
  setPaused(paused: boolean) {
    this.calls.push(`paused ${paused}`)
    this.paused = paused
  }
  async accept(jobId: string) {
    this.calls.push(`accept ${jobId.slice(0, 8)}`)
  }
  async cancel(jobId: string) {
    this.calls.push(`cancel ${jobId.slice(0, 8)}`)
  }
  async stop() {
    this.calls.push('stop')
  }
}

function swarmState(): FarmState {
  const state = emptyState()
  state.clock = { [ALPHA]: 3, [BETA]: 2 }
  state.nodes = {
    [ALPHA]: { name: 'alpha', owner: 'alice', renderers: [], cores: 2, wupm: 1.5, seq: 1, ts: 0 },
    [BETA]: { name: 'beta', owner: 'bob', renderers: [], cores: 2, wupm: 0.75, seq: 1, ts: 0 },
  }
  state.balances = { [ALPHA]: 2_500 }
  state.jobs = {
    [JOB]: {
      ...emptyJob(JOB),
      author: BETA,
      seq: 2,
      lamport: 2,
      spec: jobBody(BETA, {
        name: 'spinner',
        sceneFile: 'top.blend',
        renderer: 'blender',
        frames: { first: 1, last: 48 },
      }),
    },
  }
  return state
}

async function start(signal?: AbortSignal) {
  const node = new FakeNode(swarmState())
  const stdout = new FakeTerminalOut()
  const stdin = new FakeTerminalIn()
  const stderr: string[] = []
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk))
    return true
  })
  const done = runDashboard(node, {
    signal,
    mount: {
      stdin: stdin as unknown as NodeJS.ReadableStream,
      stdout: stdout as unknown as NodeJS.WritableStream,
      stderr: new FakeTerminalOut() as unknown as NodeJS.WritableStream,
      intervalMs: 20,
      patchConsole: false,
    },
  })
  const screen = () => {
    const text = stripVTControlCharacters(stdout.written)
    return text.slice(text.lastIndexOf('farm ')).split('\n')
  }
  const shows = (pattern: RegExp) =>
    vi.waitFor(() => expect(screen().some((line) => pattern.test(line))).toBe(true), { timeout: 3000 })
  return { node, stdin, done, screen, shows, stderr }
}

describe('runDashboard', () => {
  it('closes and stops the node when its caller aborts, as SIGINT does', async () => {
    const abort = new AbortController()
    const t = await start(abort.signal)
    try {
      await t.shows(/^farm [0-9a-f]{8} │ alpha/)
      abort.abort()
      await t.done
      expect(t.node.calls).toEqual(['stop'])
    } finally {
      vi.restoreAllMocks()
    }
  })

  it('says syncing while a connected peer holds entries this node lacks', async () => {
    const t = await start()
    try {
      await t.shows(/│ 5 entries, in sync │/)
      t.node.swarm.emit('sync:done', { peer: BETA, theirs: { [ALPHA]: 3, [BETA]: 4 } })
      await t.shows(/│ 5 entries, syncing │/)
      t.node.current = { ...t.node.current, clock: { [ALPHA]: 3, [BETA]: 4 } }
      t.node.emit('event', { type: 'entries:synced', ts: Date.now(), peer: BETA, accepted: 2, total: 7 })
      await t.shows(/│ 7 entries, in sync │/)
      t.stdin.type('q')
      await t.done
    } finally {
      vi.restoreAllMocks()
    }
  })

  it('shows the node’s swarm, acts on its keys, and stops the node on q', async () => {
    const t = await start()
    try {
      await t.shows(/^farm [0-9a-f]{8} │ alpha \(alice\) │ 1 peer │ 5 entries, in sync │ 2\.500 cr/)
      await t.shows(/^● alpha +alice +idle +1\.50 +0 +0 yes/)
      await t.shows(/^▸\? spinner +bob +blender/)

      t.node.emit('event', {
        type: 'frame:rendered',
        ts: Date.now(),
        job: JOB,
        jobName: 'spinner',
        frame: 3,
        node: BETA,
        nodeName: 'beta',
        renderMs: 1200,
        wu: 0.015,
      })
      await t.shows(/beta rendered frame 3 of spinner in 1\.20 s/)
      await t.shows(/^● beta +bob +idle +0\.75 +1 +0 yes/)

      t.stdin.type('a')
      await vi.waitFor(() => expect(t.node.calls).toContain('accept aaaaaaaa'))
      t.stdin.type('p')
      await t.shows(/^● alpha +alice +idle +1\.50 +0 +0 paused/)
      t.stdin.type('q')
      await t.done
      expect(t.node.calls).toEqual(['accept aaaaaaaa', 'paused true', 'stop'])
      expect(t.stderr.join('')).toMatch(/info +log +stopping the node\n.*info +log +stopped\n$/s)
    } finally {
      vi.restoreAllMocks()
    }
  })
})
