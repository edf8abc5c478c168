import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { createFarmLibp2p, newSwarmSecret } from '../../src/p2p/index.ts'
import { withForcedDialBack } from '../../src/p2p/nat/autonat.ts'
import { FarmNat, type FarmNatComponents, type NatStatus } from '../../src/p2p/nat/nat-service.ts'
import { natNews } from '../../src/p2p/nat/news.ts'
import { fetchOrder, Paths } from '../../src/p2p/nat/paths.ts'
import { inviteOrder, isPublicDirect, offersRelay, relayOf } from '../../src/p2p/nat/reach.ts'
import { StubNetwork, stubSwarm } from '../helpers/p2p-stub-libp2p.ts'

const R = '12D3KooWRelayRelayRelayRelayRelayRelayRelayRelayRelay'
const A = '12D3KooWAaaaAaaaAaaaAaaaAaaaAaaaAaaaAaaaAaaaAaaaAaaa'
const B = '12D3KooWBbbbBbbbBbbbBbbbBbbbBbbbBbbbBbbbBbbbBbbbBbbb'

describe('reachability', () => {
  it('counts only direct addresses outside every private range as public', () => {
    expect(isPublicDirect('/ip4/6.0.0.10/tcp/4001')).toBe(true)
    expect(isPublicDirect('/dns4/farm.example.org/tcp/4001')).toBe(true)
    for (const addr of [
      '/ip4/192.168.1.5/tcp/4001',
      '/ip4/10.0.1.2/tcp/4001',
      '/ip4/127.0.0.1/tcp/4001',
      '/ip4/100.64.3.4/tcp/4001',
      '/ip4/198.51.100.7/tcp/4001',
      '/dns4/localhost/tcp/4001',
      '/memory/node-1',
      `/ip4/6.0.0.10/tcp/4001/p2p/${R}/p2p-circuit/p2p/${A}`,
    ])
      expect(isPublicDirect(addr), addr).toBe(false)
  })

  it('names the relay of a relayed address', () => {
    expect(relayOf(`/ip4/6.0.0.10/tcp/4001/p2p/${R}/p2p-circuit/p2p/${A}`)).toBe(R)
    expect(relayOf(`/ip4/6.0.0.10/tcp/4001/p2p/${R}`)).toBeUndefined()
  })

  it('relays in auto mode only while a public address is confirmed', () => {
    expect(offersRelay('auto', ['/ip4/10.0.1.2/tcp/1', '/ip4/127.0.0.1/tcp/1'])).toBe(false)
    expect(offersRelay('auto', ['/ip4/10.0.1.2/tcp/1', '/ip4/6.0.0.10/tcp/1'])).toBe(true)
    expect(offersRelay('on', [])).toBe(true)
    expect(offersRelay('off', ['/ip4/6.0.0.10/tcp/1'])).toBe(false)
  })
})

describe('invite addresses', () => {
  it('puts public addresses first, relayed ones only for members without a public one, LAN ones last', () => {
    const relayedA = `/ip4/6.0.0.10/tcp/4001/p2p/${R}/p2p-circuit/p2p/${A}`
    const relayedB = `/ip4/6.0.0.10/tcp/4001/p2p/${R}/p2p-circuit/p2p/${B}`
    expect(
      inviteOrder([
        `/ip4/10.0.1.2/tcp/5/p2p/${A}`,
        relayedA,
        `/ip4/127.0.0.1/tcp/4001/p2p/${R}`,
        `/ip4/6.0.0.10/tcp/4001/p2p/${R}`,
        `/ip4/6.0.0.30/tcp/9/p2p/${B}`,
        relayedB,
        relayedA,
      ]),
    ).toEqual([
      `/ip4/6.0.0.10/tcp/4001/p2p/${R}`,
      `/ip4/6.0.0.30/tcp/9/p2p/${B}`,
      relayedA,
      `/ip4/10.0.1.2/tcp/5/p2p/${A}`,
      `/ip4/127.0.0.1/tcp/4001/p2p/${R}`,
    ])
  })
})

describe('connection paths', () => {
  const conn = (addr: string) => ({ remoteAddr: multiaddr(addr) })
  const relayed = conn(`/ip4/6.0.0.10/tcp/4001/p2p/${R}/p2p-circuit/p2p/${A}`)

  it('tells direct, relayed and hole-punched connections apart, and prefers a direct one', () => {
    const paths = new Paths()
    const first = conn('/ip4/6.0.0.20/tcp/4001')
    expect(paths.opened(first, [first])).toBe(false)
    expect(paths.pathOf(first)).toBe('direct')
    expect(paths.opened(relayed, [relayed])).toBe(false)
    expect(paths.pathOf(relayed)).toBe('relayed')
    const punched = conn('/ip4/6.0.0.30/tcp/4001')
    expect(paths.opened(punched, [relayed, punched])).toBe(true)
    expect(paths.pathOf(punched)).toBe('hole-punched')
    expect(paths.best([relayed, punched])).toBe(punched)
    expect(paths.best([relayed])).toBe(relayed)
    expect(paths.best([])).toBeUndefined()
  })

  it('asks directly connected peers for a blob before one only a relay reaches', () => {
    const peers = [
      { id: A, path: 'relayed' as const },
      { id: B, path: 'direct' as const },
      { id: R, path: 'hole-punched' as const },
    ]
    expect(fetchOrder(undefined, peers)).toEqual([B, R, A])
    expect(fetchOrder(B, peers)).toEqual([B])
    expect(fetchOrder('12D3KooWElsewhere', peers)).toEqual(['12D3KooWElsewhere'])
    expect(fetchOrder(A, peers)).toEqual([B, R, A])
  })
})

describe('reachability news', () => {
  const none: NatStatus = { reachable: [], relays: [], relaying: false, relayedFor: 0 }
  it('says once what changed', () => {
    const public_ = { ...none, reachable: ['/ip4/6.0.0.10/tcp/4001/p2p/X'], relaying: true }
    expect(natNews(undefined, public_, 'X')).toEqual([
      'reachable from the internet at /ip4/6.0.0.10/tcp/4001/p2p/X (a peer dialled it back)',
      'relaying for members without a public address: at most 32, 512 MiB and 30 min per relayed connection',
    ])
    expect(natNews(public_, public_, 'X')).toEqual([])
    expect(natNews(public_, none, 'X')).toEqual([
      'no public address is confirmed any more: peers outside this network reach it through relays only',
      'no longer relaying for other members',
    ])
    expect(natNews(none, { ...none, relays: [R] }, A)).toEqual([
      `reachable through relay ${R} (/p2p/${R}/p2p-circuit/p2p/${A})`,
    ])
    expect(natNews({ ...none, relays: [R] }, none, A)).toEqual([
      `relay ${R} no longer holds a slot for this node`,
    ])
  })
})

/** The components a relay server reads, stubbed: what matters is which protocols it registers. */
async function natComponents(addresses: { now: string[] }) {
  const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const handled = new Set<string>()
  const log = Object.assign(() => undefined, {
    error: () => undefined,
    trace: () => undefined,
    enabled: false,
  })
  const events = new EventTarget()
  const components = {
    peerId,
    registrar: {
      handle: async (protocol: string) => void handled.add(protocol),
      unhandle: async (protocol: string) => void handled.delete(protocol),
    },
    addressManager: { getAddresses: () => addresses.now.map((a) => multiaddr(a)) },
    transportManager: { getAddrs: (): Multiaddr[] => [multiaddr('/ip4/6.0.0.10/tcp/4001')] },
    events,
    logger: { forComponent: () => log },
  } as unknown as FarmNatComponents
  return { components, handled, update: () => events.dispatchEvent(new Event('self:peer:update')) }
}

describe('the NAT service', () => {
  it('offers relaying in auto mode once AutoNAT confirms a public address, and withdraws it after', async () => {
    const addresses = { now: ['/ip4/10.0.1.2/tcp/4001'] }
    const { components, handled, update } = await natComponents(addresses)
    const nat = new FarmNat(components, { relay: 'auto' })
    const changes: NatStatus[] = []
    nat.on('change', (s) => changes.push(s))
    await nat.start()
    expect(handled.has(RELAY_V2_HOP_CODEC)).toBe(false)
    // An unconfirmed public listen address still goes into invites.
    expect(nat.listenAddresses()).toEqual([`/ip4/6.0.0.10/tcp/4001/p2p/${components.peerId}`])
    addresses.now = ['/ip4/10.0.1.2/tcp/4001', '/ip4/6.0.0.10/tcp/4001']
    update()
    await expect.poll(() => handled.has(RELAY_V2_HOP_CODEC)).toBe(true)
    expect(nat.status()).toMatchObject({ relaying: true, reachable: ['/ip4/6.0.0.10/tcp/4001'] })
    addresses.now = ['/ip4/10.0.1.2/tcp/4001']
    update()
    await expect.poll(() => handled.has(RELAY_V2_HOP_CODEC)).toBe(false)
    expect(changes.map((c) => c.relaying)).toEqual([false, true, false])
    await nat.stop()
  })

  it('relays from the start when told to, and never when told not to', async () => {
    for (const [relay, offered] of [
      ['on', true],
      ['off', false],
    ] as const) {
      const { components, handled } = await natComponents({ now: ['/ip4/6.0.0.10/tcp/4001'] })
      const nat = new FarmNat(components, { relay })
      await nat.start()
      expect(handled.has(RELAY_V2_HOP_CODEC), relay).toBe(offered)
      await nat.stop()
      expect(handled.has(RELAY_V2_HOP_CODEC)).toBe(false)
    }
  })
})

describe('a swarm with relayed peers', () => {
  it('says how each peer is reached, and when hole punching replaced a relay', async () => {
    const net = new StubNetwork()
    const a = await stubSwarm(net)
    const b = await stubSwarm(net)
    const relay = await stubSwarm(net)
    const logs: string[] = []
    a.swarm.on('log', (l) => logs.push(l.message))
    for (const n of [a, b, relay]) await n.swarm.start()
    a.libp2p.relayThrough(b.libp2p, relay.libp2p)
    expect(a.swarm.peers()).toEqual([
      expect.objectContaining({ id: b.libp2p.id, path: 'relayed', relay: relay.libp2p.id }),
    ])
    expect(logs).toContain(
      `peer ${b.libp2p.id} is reached through relay ${relay.libp2p.id}: no direct connection yet`,
    )
    a.libp2p.punch(b.libp2p)
    expect(a.swarm.peers()).toEqual([expect.objectContaining({ id: b.libp2p.id, path: 'hole-punched' })])
    expect(
      logs.some((l) =>
        /^peer \S+ is reached directly now: hole punching \(DCUtR\) replaced the relay [\d.]+ s after/.test(
          l,
        ),
      ),
    ).toBe(true)
  })
})

describe("AutoNAT's dial-back", () => {
  it('opens a new connection to the one address it checks, and reuses connections otherwise', async () => {
    const calls: { to: string; force: boolean }[] = []
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const components = withForcedDialBack({
      peerId: peer,
      connectionManager: {
        openConnection: async (to: unknown, options?: { force?: boolean }) => {
          calls.push({ to: String(to), force: options?.force === true })
          return {}
        },
        getConnections: () => [],
      },
    } as unknown as Parameters<typeof withForcedDialBack>[0])
    expect(components.peerId).toBe(peer)
    await components.connectionManager.openConnection(multiaddr('/ip4/6.0.0.10/tcp/4001'), {
      signal: undefined,
    })
    await components.connectionManager.openConnection([multiaddr('/ip4/6.0.0.20/tcp/4001')])
    await components.connectionManager.openConnection(peer)
    expect(calls).toEqual([
      { to: '/ip4/6.0.0.10/tcp/4001', force: true },
      { to: '/ip4/6.0.0.20/tcp/4001', force: false },
      { to: peer.toString(), force: false },
    ])
    expect(components.connectionManager.getConnections()).toEqual([])
  })
})

describe('the libp2p node', () => {
  it('has a UPnP port mapper only when asked for one (built, never started here: it would multicast)', async () => {
    for (const upnp of [false, true]) {
      const node = await createFarmLibp2p({
        privateKey: await generateKeyPair('Ed25519'),
        swarmKey: newSwarmSecret(),
        listen: [],
        bootstrap: [],
        mdns: false,
        refuses: () => false,
        upnp,
      })
      expect('upnp' in node.services, `upnp: ${upnp}`).toBe(upnp)
      expect(node.status).toBe('stopped')
    }
  })
})
