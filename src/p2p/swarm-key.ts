import { randomBytes } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SWARM_KEY_FILE } from './constants.ts'
import { P2PError } from './errors.ts'

const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'
export const SWARM_SECRET_BYTES = 32

/** A fresh 32-byte pre-shared secret: a new swarm. */
export function newSwarmSecret(): Uint8Array {
  return new Uint8Array(randomBytes(SWARM_SECRET_BYTES))
}

/** The key file format @libp2p/pnet reads (the one go-ipfs uses), from the raw secret. */
export function swarmKeyFile(secret: Uint8Array): Uint8Array {
  return new TextEncoder().encode(HEADER + Buffer.from(secret).toString('hex'))
}

export function parseSwarmKeyFile(bytes: Uint8Array, file = SWARM_KEY_FILE): Uint8Array {
  const text = new TextDecoder().decode(bytes).trim()
  if (!text.startsWith(HEADER))
    throw P2PError.SWARM_KEY_INVALID(file, 'missing the /key/swarm/psk/1.0.0/ header')
  const hex = text.slice(HEADER.length).trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw P2PError.SWARM_KEY_INVALID(file, 'the key is not 64 hex digits')
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** The home's swarm secret, or undefined when this home has not joined a swarm yet. */
export async function readSwarmSecret(home: string): Promise<Uint8Array | undefined> {
  const file = join(home, SWARM_KEY_FILE)
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (bytes === undefined) return undefined
  await checkPrivateFile(file, 'swarm key')
  return parseSwarmKeyFile(bytes, file)
}

/** Like ssh, refuses a secret (`what`, at `file`) that other users can read. */
export async function checkPrivateFile(file: string, what: string): Promise<void> {
  const info = await stat(file)
  if ((info.mode & 0o077) !== 0) throw P2PError.SECRET_EXPOSED(what, file, info.mode)
}

export async function writeSwarmSecret(home: string, secret: Uint8Array): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 })
  await writeFile(join(home, SWARM_KEY_FILE), swarmKeyFile(secret), { mode: 0o600, flag: 'wx' })
}
