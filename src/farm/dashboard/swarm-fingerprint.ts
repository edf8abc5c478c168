import { createHash } from 'node:crypto'

/**
 * A public name for the swarm: a hash of its secret under a domain tag, so it says nothing of
 * the key. Two nodes of one swarm show the same.
 */
export function swarmFingerprint(secret: Uint8Array): string {
  return createHash('sha256').update('farm/swarm-id\0').update(secret).digest('hex').slice(0, 16)
}
