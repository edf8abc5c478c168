import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { openLedger } from '../../ledger/index.ts'

/**
 * 1,000 credits, in milli-credits: at the default price of 1 credit per WU, enough for the
 * founder's first jobs (a thousand minutes of the reference machine) before anyone has earned
 * anything, and small next to what a busy farm turns over, so it is a seed, not a fortune.
 */
export const FOUNDER_GRANT = 1_000_000

/** The swarm's genesis: its founder's ledger starts with a grant to itself, which pays for the first jobs. */
export async function grantFounder(home: string, privateKey: PrivateKey, founder: string): Promise<void> {
  await mkdir(join(home, 'ledger'), { recursive: true })
  const ledger = await openLedger({ path: join(home, 'ledger'), privateKey, genesis: [founder] })
  try {
    await ledger.append('grant', { to: founder, amount: FOUNDER_GRANT })
  } finally {
    await ledger.close()
  }
}
