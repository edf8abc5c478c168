import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type InviteToken, openToken } from '../../p2p/index.ts'

/**
 * `<home>/invite.pending`: the token of the invite a home joined with, kept until a member has
 * admitted the node, so a node that stops before that presents it again at its next start. Mode
 * 0600: until it is spent, it lets its holder in.
 */
const PENDING_FILE = 'invite.pending'

export async function writePendingInvite(home: string, token: InviteToken): Promise<void> {
  await writeFile(join(home, PENDING_FILE), `${Buffer.from(token.encoded).toString('base64url')}\n`, {
    mode: 0o600,
  })
}

export async function readPendingInvite(home: string): Promise<InviteToken | undefined> {
  const text = await readFile(join(home, PENDING_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  return text === undefined ? undefined : openToken(new Uint8Array(Buffer.from(text.trim(), 'base64url')))
}

export async function clearPendingInvite(home: string): Promise<void> {
  await rm(join(home, PENDING_FILE), { force: true })
}
