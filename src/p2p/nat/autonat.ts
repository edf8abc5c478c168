import { type AutoNATComponents, autoNAT } from '@libp2p/autonat'
import type { Multiaddr } from '@multiformats/multiaddr'

type ConnectionManager = AutoNATComponents['connectionManager']

/**
 * libp2p's AutoNAT (v1), with its dial-back made on a new connection. @libp2p/autonat 3.0 dials
 * the asking peer back with `openConnection(address)`, which hands back the connection already
 * open to that peer (the one the question came over, when the asker was dialled at that address,
 * as every member that joined a public one dialled it), and then closes it. So a public member
 * lost each member as soon as that member confirmed its address, reconnected, asked again, and
 * so on, and never learned it was reachable. AutoNAT v2 dials back with `force: true`; so does
 * this, for the dial-back only: the one call that opens a single address (the random walk that
 * finds peers to ask passes a peer's address list, and keeps reusing connections).
 */
export function farmAutoNAT(): (components: AutoNATComponents) => unknown {
  const service = autoNAT()
  return (components) => service(withForcedDialBack(components))
}

/** The components AutoNAT is given: the node's own, but every dial of one address opens a new connection. */
export function withForcedDialBack(components: AutoNATComponents): AutoNATComponents {
  const dialBack: ConnectionManager = new Proxy(components.connectionManager, {
    get(target, prop, receiver) {
      if (prop !== 'openConnection') return Reflect.get(target, prop, receiver)
      const open: ConnectionManager['openConnection'] = (to, options) =>
        target.openConnection(to, isOneAddress(to) ? { ...options, force: true } : options)
      return open
    },
  })
  return new Proxy(components, {
    get: (target, prop, receiver) =>
      prop === 'connectionManager' ? dialBack : Reflect.get(target, prop, receiver),
  })
}

function isOneAddress(to: Parameters<ConnectionManager['openConnection']>[0]): to is Multiaddr {
  return !Array.isArray(to) && 'getComponents' in to
}
