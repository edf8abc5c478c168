import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { balanceOf } from '../../src/ledger/index.ts'
import { newLedger, syncInto } from './ledger-fixtures.ts'

describe('grants with a genesis', () => {
  it('count only when the founder wrote them, so a member cannot mint credits', async () => {
    const founderKey = await generateKeyPair('Ed25519')
    const founder = peerIdFromPrivateKey(founderKey).toString()
    const a = await newLedger({ privateKey: founderKey })
    const b = await newLedger()
    const watcher = await newLedger({ genesis: [founder] })
    await a.append('grant', { to: a.author, amount: 5_000 })
    await a.append('grant', { to: b.author, amount: 700 })
    await b.append('grant', { to: b.author, amount: 1_000_000 })
    await syncInto(a, watcher)
    await syncInto(b, watcher)
    expect(balanceOf(watcher.state(), a.author)).toBe(5_000)
    expect(balanceOf(watcher.state(), b.author)).toBe(700)
    expect(watcher.state().granted).toBe(5_700)
  })
})
