import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { IDENTITY_FILE } from './constants.ts'
import { P2PError } from './errors.ts'

/**
 * The node's ed25519 key, created once in its home and reloaded after, so its peer id (and the
 * ledger feed it signs) survives restarts. Like ssh, a key other users can read is refused.
 */
export async function loadOrCreateIdentity(home: string): Promise<PrivateKey> {
  const file = join(home, IDENTITY_FILE)
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (info === undefined) return createIdentity(home, file)
  if ((info.mode & 0o077) !== 0) throw P2PError.IDENTITY_EXPOSED(file, info.mode)
  const bytes = await readFile(file)
  try {
    const key = privateKeyFromProtobuf(bytes)
    if (key.type !== 'Ed25519') throw new Error(`a ${key.type} key, farm needs Ed25519`)
    return key
  } catch (err) {
    throw P2PError.IDENTITY_CORRUPT(file, err instanceof Error ? err.message : String(err))
  }
}

async function createIdentity(home: string, file: string): Promise<PrivateKey> {
  await mkdir(home, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  // 'wx' so two processes starting at once cannot each write a different identity.
  await writeFile(file, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' }).catch(
    async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    },
  )
  return loadOrCreateIdentity(home)
}
