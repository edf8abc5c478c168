import { createServer } from 'node:net'
import { networkInterfaces } from 'node:os'

/** A TCP port free on this machine now: `farm init` keeps it so invites stay valid. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * The dialable addresses of configured listen addresses, for an invite written while the node
 * is not running: a wildcard host stands for each of the machine's IPv4 addresses, and port 0
 * cannot be known in advance, so it is left out.
 */
export function inviteAddresses(listen: string[], peerId: string): string[] {
  const out: string[] = []
  for (const addr of listen) {
    const match = /^\/ip4\/([^/]+)\/tcp\/(\d+)$/.exec(addr)
    if (match === null || match[2] === '0') continue
    const hosts = match[1] === '0.0.0.0' ? ipv4Addresses() : [match[1]]
    for (const host of hosts) out.push(`/ip4/${host}/tcp/${match[2]}/p2p/${peerId}`)
  }
  return out
}

function ipv4Addresses(): string[] {
  const external: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) external.push(info.address)
  }
  return [...external, '127.0.0.1']
}
