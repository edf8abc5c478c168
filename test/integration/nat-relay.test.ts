import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { ConnectionProtector, Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  BlobStore,
  createFarmLibp2p,
  createGenesis,
  decodeInvite,
  type FarmServices,
  type SignedGenesis,
  Swarm,
  type SwarmEvents,
  swarmSecretOf,
} from '../../src/p2p/index.ts'
import type { RelayMode } from '../../src/p2p/nat/reach.ts'
import { tempDir } from '../helpers/farm.ts'
import { MemoryFeed } from '../helpers/p2p-memory-feed.ts'
import { waitFor } from '../helpers/p2p-nodes.ts'

/**
 * Every connection the swarm key's protector (pnet) wraps, by the address it runs to: a relayed
 * connection shows up here only if libp2p protects it end to end, not just the hops to the relay.
 */
const protectedAddresses = vi.hoisted(() => [] as string[])
vi.mock('../../src/p2p/pnet-native.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/p2p/pnet-native.ts')>()
  return {
    ...real,
    nativePreSharedKey: (psk: Uint8Array) => () => {
      const protector = real.nativePreSharedKey(psk)()
      const counted: ConnectionProtector = {
        protect: (conn, options) => {
          // What libp2p hands the protector is the raw connection, which carries its address.
          protectedAddresses.push(String((conn as unknown as { remoteAddr: unknown }).remoteAddr))
          return protector.protect(conn, options)
        },
      }
      return counted
    },
  }
})

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()))
})

interface Member {
  swarm: Swarm
  node: Libp2p<FarmServices>
  feed: MemoryFeed
  blobs: BlobStore
  logs: SwarmEvents['log'][0][]
}

/** A swarm's signed genesis, by a founder of its own; its key is the swarm key (genesis.ts). */
async function newSwarm(): Promise<SignedGenesis> {
  return createGenesis(await generateKeyPair('Ed25519'))
}

/** An invite of `m`'s, as a joiner would read it. */
async function inviteOf(m: Member) {
  return decodeInvite(await m.swarm.invite({ expires: Date.now() + 3_600_000, uses: 1 }))
}

/** A swarm on 127.0.0.1, on a libp2p node the test can look into. `listen: []`: reachable only through a relay. */
async function member(
  genesis: SignedGenesis,
  opts: { relay?: RelayMode; listen?: string[]; bootstrap?: string[]; announce?: string[] } = {},
): Promise<Member> {
  const privateKey = await generateKeyPair('Ed25519')
  const init = {
    privateKey,
    swarmKey: swarmSecretOf(genesis),
    genesis,
    listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: opts.bootstrap ?? [],
    mdns: false,
    relay: opts.relay ?? 'auto',
    announce: opts.announce ?? [],
  }
  const node = await createFarmLibp2p({ ...init, refuses: () => false })
  const feed = new MemoryFeed(node.peerId.toString())
  const blobs = new BlobStore(join(await tempDir('farm-nat-relay-'), 'blobs'))
  const swarm = new Swarm({ ...init, feed, blobs, syncIntervalMs: 600_000 }, { libp2p: node })
  const logs: SwarmEvents['log'][0][] = []
  swarm.on('log', (entry) => logs.push(entry))
  await swarm.start()
  running.push(swarm)
  return { swarm, node, feed, blobs, logs }
}

const relayedAddress = (m: Member) => m.swarm.addresses().find((a) => a.includes('/p2p-circuit'))

describe('a member that relays for the others', () => {
  it('carries a member with no address of its own: protected end to end, synced, blobs fetched through it and said so', async () => {
    const genesis = await newSwarm()
    const relay = await member(genesis, { relay: 'on' })
    const relayAddress = relay.swarm.addresses()[0]!
    expect(relay.logs.map((l) => l.message)).toContain(
      'relaying for members without a public address: at most 32, 512 MiB and 30 min per relayed connection',
    )
    // No listen address: like a member behind a home router, only a relay slot makes it reachable.
    const hidden = await member(genesis, { listen: [], bootstrap: [relayAddress] })
    const circuit = await waitFor(() => relayedAddress(hidden), 'a relay slot for the hidden member')
    expect(circuit).toBe(`${relayAddress}/p2p-circuit/p2p/${hidden.swarm.id}`)
    const news = `reachable through relay ${relay.swarm.id} (/p2p/${relay.swarm.id}/p2p-circuit/p2p/${hidden.swarm.id})`
    await waitFor(() => hidden.logs.some((l) => l.message === news), 'the hidden member to say so')
    // Its invite names the relayed address: a joiner could not dial it otherwise.
    expect((await inviteOf(hidden)).addresses).toContain(circuit)

    const other = await member(genesis, { bootstrap: [relayAddress] })
    await other.swarm.connect(circuit)
    const [relayed] = other.node.getConnections(peerIdFromString(hidden.swarm.id))
    expect(relayed?.remoteAddr.toString()).toBe(circuit)
    expect(relayed?.encryption).toBe('/noise')
    expect(relayed?.limits).toBeDefined()
    // Both ends wrapped the relayed connection itself in the swarm key, not only their hops to the relay.
    expect(protectedAddresses.filter((a) => a.includes('/p2p-circuit')).length).toBeGreaterThanOrEqual(2)
    expect(other.swarm.peers().find((p) => p.id === hidden.swarm.id)).toMatchObject({
      path: 'relayed',
      relay: relay.swarm.id,
    })
    expect(other.logs.map((l) => l.message)).toContain(
      `peer ${hidden.swarm.id} is reached through relay ${relay.swarm.id}: no direct connection yet`,
    )

    // The ledger's sync runs over it.
    hidden.feed.append(5)
    await other.swarm.syncWith(hidden.swarm.id)
    expect(other.feed.count()).toBe(5)

    // A blob only the hidden member has comes through the relay, and the fetch says so.
    const onlyHidden = await hidden.blobs.put(Readable.from([randomBytes(8 << 20)]))
    await other.swarm.fetchBlob(onlyHidden)
    expect(await other.blobs.size(onlyHidden)).toBe(8 << 20)
    const relayedLine = other.logs.find((l) => l.message.startsWith(`fetched blob ${onlyHidden}`))
    expect(relayedLine).toMatchObject({
      level: 'info',
      message: expect.stringContaining(`from ${hidden.swarm.id} through relay ${relay.swarm.id}`),
    })
    // A blob both have is fetched from the one with a direct connection, though the hidden one is asked for.
    const both = randomBytes(8 << 20)
    const shared = await hidden.blobs.put(Readable.from([both]))
    await relay.blobs.put(Readable.from([both]))
    await other.swarm.fetchBlob(shared, { from: hidden.swarm.id })
    const directLine = other.logs.find((l) => l.message.startsWith(`fetched blob ${shared}`))
    expect(directLine).toMatchObject({
      level: 'debug',
      message: expect.stringContaining(`from ${relay.swarm.id} directly`),
    })
    // Measured, not asserted: what the relay costs on this machine (loopback, one process).
    process.stderr.write(
      `nat-relay: 8 MiB ${relayedLine?.message.match(/\(([^)]*MB\/s)\)/)?.[1]} relayed, ${directLine?.message.match(/\(([^)]*MB\/s)\)/)?.[1]} direct\n`,
    )
  })

  it('refuses a node without the swarm key: it reaches neither the relay nor a member through it', async () => {
    const genesis = await newSwarm()
    const relay = await member(genesis, { relay: 'on' })
    const hidden = await member(genesis, { listen: [], bootstrap: [relay.swarm.addresses()[0]!] })
    const circuit = await waitFor(() => relayedAddress(hidden), 'a relay slot for the hidden member')
    const stranger = await member(await newSwarm(), { relay: 'on' })
    await expect(stranger.swarm.connect(circuit)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
    await expect(stranger.swarm.connect(relay.swarm.addresses()[0]!)).rejects.toMatchObject({
      code: 'DIAL_FAILED',
    })
    expect(stranger.swarm.peers()).toEqual([])
    expect(hidden.swarm.peers().map((p) => p.id)).toEqual([relay.swarm.id])
    expect(relay.swarm.peers().map((p) => p.id)).toEqual([hidden.swarm.id])
    // The relay holds a slot for its member only.
    expect(relay.node.services.nat.status().relayedFor).toBe(1)
  })
})

describe('an address announced by hand', () => {
  it('counts as reachable: announced first, in invites first, and the member relays in auto mode', async () => {
    // A member alone, so no peer ever dials the announced address (it is outside this machine).
    const forwarded = '/ip4/6.0.0.99/tcp/4001'
    const lone = await member(await newSwarm(), { announce: [forwarded] })
    const announced = `${forwarded}/p2p/${lone.swarm.id}`
    expect(lone.swarm.addresses()[0]).toBe(announced)
    expect((await inviteOf(lone)).addresses[0]).toBe(announced)
    expect(lone.node.services.nat.status()).toMatchObject({ reachable: [announced], relaying: true })
  })
})
