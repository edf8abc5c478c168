import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/**
 * A small internet in network namespaces, for NAT tests: nothing in it has a link to the host's
 * interfaces, so no packet can leave the machine, whatever address it is sent to.
 *
 *   inet   6.0.0.10 on a bridge: the "public" member, and the internet's only switch
 *   rta    a home router: WAN 6.0.0.20 on that bridge, LAN 10.0.1.1, masquerade (nftables)
 *   lana   a home machine behind it: 10.0.1.2, default route via rta
 *   rtb    another home router: WAN 6.0.0.30, LAN 10.0.2.1
 *   lanb   a home machine behind it: 10.0.2.2
 *
 * The "internet" is 6.0.0.0/24 because libp2p counts every documentation and benchmarking range
 * (192.0.2/24, 198.51.100/24, 203.0.113/24, 198.18/15) as private, and AutoNAT and DCUtR skip
 * private addresses: only an address libp2p takes for public exercises them. It is used only
 * inside these namespaces. The routers behave like home routers: they masquerade what leaves
 * by the WAN, forward only answers back in, and drop new inbound connections silently; neither
 * has a route to the other's LAN, so a dial to a private address of the other home fails at once.
 */
export const LAB = {
  public: '6.0.0.10',
  routerA: '6.0.0.20',
  routerB: '6.0.0.30',
  lanA: '10.0.1.2',
  lanB: '10.0.2.2',
} as const

const PREFIX = 'farmnat-'
const NAMES = ['inet', 'rta', 'lana', 'rtb', 'lanb'] as const
type Name = (typeof NAMES)[number]

const ROUTER_RULES = `table ip farmnat {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "wan" masquerade; }
  chain forward { type filter hook forward priority filter; policy drop; ct state established,related accept; iifname "lan" accept; }
  chain input { type filter hook input priority filter; iifname "wan" ct state new drop; }
}
`

/** Why the lab cannot be made here, or undefined when it can (root, iproute2, nftables). */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces and nftables need root'
  for (const tool of ['ip', 'nft'])
    if (spawnSync(tool, ['-V']).error !== undefined) return `${tool} is not installed`
  return undefined
}

export class NatLab {
  /** Namespace names, unique to this process so that parallel runs never share one. */
  readonly ns: Record<Name, string>
  private made: string[] = []

  constructor() {
    const tag = `${PREFIX}${process.pid}-`
    this.ns = Object.fromEntries(NAMES.map((n) => [n, `${tag}${n}`])) as Record<Name, string>
  }

  /** The command prefix that runs a program inside namespace `name`. */
  prefix(name: Name): string[] {
    return ['ip', 'netns', 'exec', this.ns[name]]
  }

  build(): void {
    removeStale()
    for (const name of NAMES) {
      ip('netns', 'add', this.ns[name])
      this.made.push(this.ns[name])
      ip('-n', this.ns[name], 'link', 'set', 'lo', 'up')
    }
    const { inet } = this.ns
    ip('-n', inet, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', inet, 'addr', 'add', `${LAB.public}/24`, 'dev', 'br0')
    ip('-n', inet, 'link', 'set', 'br0', 'up')
    const homes = [
      { router: this.ns.rta, lan: this.ns.lana, wan: LAB.routerA, net: '10.0.1', side: 'wa' },
      { router: this.ns.rtb, lan: this.ns.lanb, wan: LAB.routerB, net: '10.0.2', side: 'wb' },
    ]
    for (const home of homes) {
      // Made inside the namespaces: no interface of the lab ever exists on the host, even briefly.
      ip('-n', inet, 'link', 'add', home.side, 'type', 'veth', 'peer', 'name', 'wan', 'netns', home.router)
      ip('-n', inet, 'link', 'set', home.side, 'master', 'br0', 'up')
      ip('-n', home.router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', home.lan)
      ip('-n', home.router, 'addr', 'add', `${home.wan}/24`, 'dev', 'wan')
      ip('-n', home.router, 'addr', 'add', `${home.net}.1/24`, 'dev', 'lan')
      ip('-n', home.lan, 'addr', 'add', `${home.net}.2/24`, 'dev', 'eth0')
      for (const [ns, dev] of [
        [home.router, 'wan'],
        [home.router, 'lan'],
        [home.lan, 'eth0'],
      ] as const)
        ip('-n', ns, 'link', 'set', dev, 'up')
      ip('-n', home.lan, 'route', 'add', 'default', 'via', `${home.net}.1`)
      execFileSync('ip', ['netns', 'exec', home.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
      execFileSync('ip', ['netns', 'exec', home.router, 'nft', '-f', '-'], { input: ROUTER_RULES })
    }
  }

  /**
   * Kills what still runs in the lab (only processes started in its namespaces, so ours), then
   * deletes the namespaces, which takes their veths and nftables rules with them. Synchronous
   * and idempotent, so it can run from an exit handler.
   */
  destroy(): void {
    for (const ns of this.made.splice(0)) removeNamespace(ns)
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function removeNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? ''
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  spawnSync('ip', ['netns', 'del', ns])
}

/** Namespaces a killed earlier run of this test left behind (its pid is gone). */
function removeStale(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? ''
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? ''
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1]
    if (pid !== undefined && !existsSync(`/proc/${pid}`)) removeNamespace(name)
  }
}

/**
 * Makes the lab and removes it however the test process ends: after the tests, at exit, and on
 * SIGINT/SIGTERM (then ends the process as the signal would have).
 */
export function buildLab(): NatLab {
  const lab = new NatLab()
  const onExit = () => lab.destroy()
  const onSignal = (signal: NodeJS.Signals) => {
    lab.destroy()
    process.kill(process.pid, signal)
  }
  process.once('exit', onExit)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    lab.build()
  } catch (err) {
    lab.destroy()
    throw err
  }
  return lab
}
