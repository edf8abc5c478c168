import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { execa, type ResultPromise } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeEntry, type Entry, foldEntries, openLedger, stateHash } from '../../src/ledger/index.ts'
import { tempDir } from '../helpers/farm.ts'

const WRITER = join(import.meta.dirname, 'ledger-writer.ts')
const children: ResultPromise[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

/** Starts the writer and resolves once it has committed past `seq`, with the last seq it reported. */
async function writeUntil(path: string, keyFile: string, seq: number) {
  const child = execa(process.execPath, [WRITER, path, keyFile], {
    reject: false,
    buffer: false,
    stderr: 'inherit',
  })
  children.push(child)
  let last = 0
  // Reading stops at `seq` but the pipe stays open, so the writer is mid-append when killed, not dying of EPIPE.
  await new Promise<void>((resolve, reject) => {
    let buffered = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) last = Number(line.replace('seq ', ''))
      if (last >= seq) resolve()
    })
    child.then((r) => reject(new Error(`ledger writer exited (${r.exitCode ?? r.signal}) before seq ${seq}`)))
  })
  child.kill('SIGKILL')
  const result = await child
  expect(result.signal).toBe('SIGKILL')
  return last
}

describe('ledger store after a crash', () => {
  it('opens consistent after its writer is killed mid-write, again and again', async () => {
    const home = await tempDir('farm-ledger-crash-')
    const path = join(home, 'ledger')
    const keyFile = join(home, 'identity.key')
    const privateKey = await generateKeyPair('Ed25519')
    await writeFile(keyFile, privateKeyToProtobuf(privateKey), { mode: 0o600 })
    let target = 0
    for (const extra of [150, 90, 230]) {
      target += extra
      const reported = await writeUntil(path, keyFile, target)
      const ledger = await openLedger({ path, privateKey })
      const head = (await ledger.clock())[ledger.author] ?? 0
      expect(head).toBeGreaterThanOrEqual(reported)
      const entries: Entry[] = []
      for await (const batch of ledger.missing({})) entries.push(...batch.map((e) => decodeEntry(e).entry))
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1))
      for (let i = 1; i < entries.length; i++) {
        expect(Buffer.from(entries[i]!.prev!).toString('hex')).toBe(entries[i - 1]!.hash)
      }
      expect(stateHash(ledger.state())).toBe(stateHash(foldEntries(entries)))
      const balances = Object.values(ledger.state().balances)
      expect(balances.reduce((a, b) => a + b, 0)).toBe(ledger.state().granted)
      expect((await ledger.append('grant', { to: ledger.author, amount: 1 })).seq).toBe(head + 1)
      await ledger.close()
      target = head + 1
    }
  })
})
