import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as cbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createGenesis,
  decodeInvite,
  encodeInvite,
  issueToken,
  loadOrCreateIdentity,
  newSwarmSecret,
  openGenesis,
  openToken,
  readGenesis,
  readSwarmSecret,
  swarmSecretOf,
  writeSwarmGenesis,
  writeSwarmSecret,
} from '../../src/p2p/index.ts'
import { tempDir } from '../helpers/farm.ts'

const ADDR = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDmbEzCLnKtoNuBEBLRwiNSXNMUiFwNEhqN8tacYMDuAx'

async function swarmOf(founderKey?: PrivateKey) {
  const key = founderKey ?? (await generateKeyPair('Ed25519'))
  const genesis = await createGenesis(key)
  const token = await issueToken(key, genesis, { expires: Date.now() + 60_000, uses: 2 })
  return { key, genesis, token, invite: encodeInvite({ genesis, token, addresses: [ADDR] }) }
}

describe('invites', () => {
  it('carry the signed genesis, the swarm key it derives and a signed token, whatever whitespace a paste adds', async () => {
    const { genesis, token, invite } = await swarmOf()
    expect(invite.startsWith('farm2.')).toBe(true)
    const decoded = await decodeInvite(`  ${invite.slice(0, 30)}\n${invite.slice(30)}\n`)
    expect(decoded.addresses).toEqual([ADDR])
    expect(decoded.genesis.fields.founder).toBe(genesis.fields.founder)
    expect(Buffer.from(decoded.secret).equals(Buffer.from(swarmSecretOf(genesis)))).toBe(true)
    expect(decoded.token.id).toBe(token.id)
    expect(decoded.token.fields).toMatchObject({ swarm: genesis.id, uses: 2 })
  })

  it('give a member naming itself founder the key of another network, never this one', async () => {
    const real = await swarmOf()
    const member = await generateKeyPair('Ed25519')
    const forged = await swarmOf(member)
    const decoded = await decodeInvite(forged.invite)
    expect(decoded.genesis.fields.founder).toBe(peerIdFromPrivateKey(member).toString())
    expect(Buffer.from(decoded.secret).equals(Buffer.from(swarmSecretOf(real.genesis)))).toBe(false)
    // Keeping the real founder's name does not help: the signature is not the founder's.
    const fields = { ...real.genesis.fields, nonce: new Uint8Array(16) }
    const body = cbor.encode(fields)
    const sig = await member.sign(Buffer.concat([Buffer.from('farm/genesis/v1\0'), body]))
    await expect(openGenesis(cbor.encode({ body, sig }), 'this invite')).rejects.toThrow(
      `its signature is not ${real.genesis.fields.founder}'s`,
    )
  })

  it('refuse a token issued for another swarm, or signed by another than its issuer', async () => {
    const a = await swarmOf()
    const b = await swarmOf()
    await expect(decodeInvite(encodeInvite({ ...a, token: b.token, addresses: [] }))).rejects.toThrow(
      'its token was issued for another swarm than its genesis',
    )
    const fields = { ...a.token.fields, issuer: peerIdFromPrivateKey(b.key).toString() }
    const body = cbor.encode(fields)
    const sig = await a.key.sign(Buffer.concat([Buffer.from('farm/invite/v1\0'), body]))
    await expect(openToken(cbor.encode({ body, sig }))).rejects.toMatchObject({ code: 'INVITE_INVALID' })
  })

  it('refuse every truncation with a message that says so', async () => {
    const { invite } = await swarmOf()
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: invite.length - 1 }), async (cut) => {
        await expect(decodeInvite(invite.slice(0, cut))).rejects.toThrow(
          /invite is not valid \(.*(truncated|farm2)/,
        )
      }),
      { numRuns: 50 },
    )
  })

  it('refuse an altered character, another version and an invite of an older farm', async () => {
    const { invite } = await swarmOf()
    const i = 20
    const altered = invite.slice(0, i) + (invite[i] === 'A' ? 'B' : 'A') + invite.slice(i + 1)
    await expect(decodeInvite(altered)).rejects.toThrow(/checksum does not match/)
    await expect(decodeInvite(`farm3.${invite.slice(6)}`)).rejects.toThrow(/version 'farm3'/)
    await expect(decodeInvite(`farm1.${invite.slice(6)}`)).rejects.toThrow(/made by an older farm/)
  })

  it('keep the genesis and its key in the home with mode 0600, and refuse them readable by others', async () => {
    const home = await tempDir()
    const { genesis } = await swarmOf()
    expect(await readGenesis(home)).toBeUndefined()
    await writeSwarmGenesis(home, genesis)
    expect((await readGenesis(home))?.id).toBe(genesis.id)
    expect(Buffer.from((await readSwarmSecret(home))!).equals(Buffer.from(swarmSecretOf(genesis)))).toBe(true)
    await expect(writeSwarmGenesis(home, genesis)).rejects.toMatchObject({ code: 'EEXIST' })
    await chmod(join(home, 'genesis'), 0o640)
    await expect(readGenesis(home)).rejects.toMatchObject({ code: 'SECRET_EXPOSED', exitCode: 2 })
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
