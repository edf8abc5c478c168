import { RELAY_DATA_LIMIT_BYTES, RELAY_DURATION_LIMIT_MS, RELAY_MAX_RESERVATIONS } from './constants.ts'
import type { NatStatus } from './nat-service.ts'

/** The log lines that tell a user how their node's reachability changed between two statuses. */
export function natNews(before: NatStatus | undefined, after: NatStatus, self: string): string[] {
  const lines: string[] = []
  const was = before ?? { reachable: [], relays: [], relaying: false, relayedFor: 0 }
  const found = after.reachable.filter((a) => !was.reachable.includes(a))
  if (found.length > 0)
    lines.push(`reachable from the internet at ${found.join(' ')} (a peer dialled it back)`)
  if (was.reachable.length > 0 && after.reachable.length === 0)
    lines.push(
      'no public address is confirmed any more: peers outside this network reach it through relays only',
    )
  if (after.relaying && !was.relaying)
    lines.push(
      `relaying for members without a public address: at most ${RELAY_MAX_RESERVATIONS}, ` +
        `${RELAY_DATA_LIMIT_BYTES >> 20} MiB and ${RELAY_DURATION_LIMIT_MS / 60_000} min per relayed connection`,
    )
  if (was.relaying && !after.relaying) lines.push('no longer relaying for other members')
  for (const relay of after.relays.filter((r) => !was.relays.includes(r)))
    lines.push(`reachable through relay ${relay} (/p2p/${relay}/p2p-circuit/p2p/${self})`)
  for (const relay of was.relays.filter((r) => !after.relays.includes(r)))
    lines.push(`relay ${relay} no longer holds a slot for this node`)
  return lines
}
