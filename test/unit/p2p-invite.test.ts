import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeInvite,
  encodeInvite,
  loadOrCreateIdentity,
  newSwarmSecret,
  readSwarmSecret,
  writeSwarmSecret,
} from '../../src/p2p/index.ts'
import { tempDir } from '../helpers/farm.ts'

const ADDR = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDmbEzCLnKtoNuBEBLRwiNSXNMUiFwNEhqN8tacYMDuAx'

describe('invites', () => {
  it("carry the founder's peer id, and read without one as before", () => {
    const secret = newSwarmSecret()
    const founder = '12D3KooWDmbEzCLnKtoNuBEBLRwiNSXNMUiFwNEhqN8tacYMDuAx'
    expect(decodeInvite(encodeInvite({ secret, addresses: [ADDR], genesis: [founder] })).genesis).toEqual([
      founder,
    ])
    expect(decodeInvite(encodeInvite({ secret, addresses: [ADDR] })).genesis).toEqual([])
  })

  it('round-trip the swarm secret and addresses, whatever whitespace a paste adds', () => {
    const secret = newSwarmSecret()
    const invite = encodeInvite({
      secret,
      addresses: [ADDR, '/ip4/10.0.0.2/tcp/9/p2p/12D3KooWDmbEzCLnKtoNuBEBLRwiNSXNMUiFwNEhqN8tacYMDuAx'],
    })
    expect(invite.startsWith('farm1.')).toBe(true)
    const wrapped = `  ${invite.slice(0, 30)}\n${invite.slice(30)}\n`
    const decoded = decodeInvite(wrapped)
    expect(Buffer.from(decoded.secret).equals(Buffer.from(secret))).toBe(true)
    expect(decoded.addresses).toEqual([
      ADDR,
      '/ip4/10.0.0.2/tcp/9/p2p/12D3KooWDmbEzCLnKtoNuBEBLRwiNSXNMUiFwNEhqN8tacYMDuAx',
    ])
  })

  it('refuse every truncation with a message that says so', () => {
    const invite = encodeInvite({ secret: newSwarmSecret(), addresses: [ADDR] })
    fc.assert(
      fc.property(fc.integer({ min: 1, max: invite.length - 1 }), (cut) => {
        expect(() => decodeInvite(invite.slice(0, cut))).toThrow(/invite is not valid \(.*(truncated|farm1)/)
      }),
    )
  })

  it('refuse an altered character and another version', () => {
    const invite = encodeInvite({ secret: newSwarmSecret(), addresses: [ADDR] })
    const i = 20
    const altered = invite.slice(0, i) + (invite[i] === 'A' ? 'B' : 'A') + invite.slice(i + 1)
    expect(() => decodeInvite(altered)).toThrow(/checksum does not match/)
    expect(() => decodeInvite(`farm2.${invite.slice(6)}`)).toThrow(/version 'farm2'/)
  })
})

describe('identity and swarm key', () => {
  it('keeps the peer id across reloads and writes the key with mode 0600', async () => {
    const home = await tempDir()
    const first = await loadOrCreateIdentity(home)
    const again = await loadOrCreateIdentity(home)
    expect(again.publicKey.equals(first.publicKey)).toBe(true)
    const { statSync } = await import('node:fs')
    expect(statSync(join(home, 'identity.key')).mode & 0o777).toBe(0o600)
  })

  it('refuses a key file other users can read, and says how to fix it', async () => {
    const home = await tempDir()
    await loadOrCreateIdentity(home)
    await chmod(join(home, 'identity.key'), 0o644)
    await expect(loadOrCreateIdentity(home)).rejects.toThrow(
      /readable by other users \(mode 644\): run `chmod 600/,
    )
  })

  it('refuses a corrupted key file with exit code 2', async () => {
    const home = await tempDir()
    await writeFile(join(home, 'identity.key'), 'not a key', { mode: 0o600 })
    await expect(loadOrCreateIdentity(home)).rejects.toMatchObject({ code: 'IDENTITY_CORRUPT', exitCode: 2 })
  })

  it('stores the swarm secret in the pnet key format and reads it back', async () => {
    const home = await tempDir()
    expect(await readSwarmSecret(home)).toBeUndefined()
    const secret = newSwarmSecret()
    await writeSwarmSecret(home, secret)
    expect(Buffer.from((await readSwarmSecret(home))!).equals(Buffer.from(secret))).toBe(true)
    await writeFile(join(home, 'swarm.key'), '/key/swarm/psk/1.0.0/\n/base16/\nabc', { mode: 0o600 })
    await expect(readSwarmSecret(home)).rejects.toThrow(/not 64 hex digits/)
  })
})
