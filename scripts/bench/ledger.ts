/**
 * Ledger benchmark: local appends/s (single and batched), verified ingest entries/s, a cold sync
 * of 100,000 entries between two stores in one process, the RSS of a process that opens a store
 * of 1,000,000 entries (built by a child process, opened by another, so neither's heap pollutes
 * the figure), the time and peak RSS of a new member syncing that history over the swarm from
 * another process, and the entries and bytes per frame a 10,000-frame job of 2-minute frames
 * leaves (claims, lease renewals, results, verdicts), projected over a year.
 *
 *   node_modules/.bin/node scripts/bench/ledger.ts [--open-entries N] [--sync-entries N] [--year-frames N]
 *
 * Last line: `... ingest_per_s=X sync100k_s=Y join1m_s=Z join1m_rss_mb=W entries_per_frame=V bytes_per_frame=U`.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type EntryBody, type EntryType, type Ledger, openLedger } from '../../src/ledger/index.ts'
import { newSwarmSecret } from '../../src/p2p/index.ts'
import { FRAME_MS, measureFrames } from './lib/frame-ledger.ts'
import { buildHistory, jobBody, SCENE_HASH, work } from './lib/history.ts'
import { joinLedger, serveLedger } from './lib/ledger-peer.ts'

const SELF = import.meta.filename
const { values } = parseArgs({
  options: {
    'open-entries': { type: 'string', default: '1000000' },
    'sync-entries': { type: 'string', default: '100000' },
    'year-frames': { type: 'string', default: '10000' },
    'child-build': { type: 'string' },
    'child-open': { type: 'string' },
  },
})

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000)

/**
 * Wall time and CPU time (all of the process's threads). Other engineers' jobs share the two
 * cores, so wall rates swing; CPU microseconds per entry are what this code costs whatever the load.
 */
async function timed<T>(fn: () => Promise<T>) {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const value = await fn()
  const cpu = process.cpuUsage(cpu0)
  return { value, ms: performance.now() - t0, cpuUs: cpu.user + cpu.system }
}

const perEntry = (cpuUs: number, n: number) => `${(cpuUs / n).toFixed(0)} µs CPU/entry`

async function newLedger(dir: string, name: string): Promise<Ledger> {
  return openLedger({ path: join(dir, name), privateKey: await generateKeyPair('Ed25519') })
}

/** The raw crypto ceiling right now, on this machine: what signing and verifying cost with nothing else. */
function cryptoBaseline() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const message = randomBytes(300)
  const n = 3000
  const signature = sign(null, message, privateKey)
  let cpu = process.cpuUsage()
  for (let i = 0; i < n; i++) sign(null, message, privateKey)
  const signed = process.cpuUsage(cpu)
  cpu = process.cpuUsage()
  for (let i = 0; i < n; i++) verify(null, message, publicKey, signature)
  const verified = process.cpuUsage(cpu)
  return { signUs: (signed.user + signed.system) / n, verifyUs: (verified.user + verified.system) / n }
}

/** Opens from the compiled dist when built, as `farm` runs: type stripping the sources costs ~30 MB of RSS by itself. */
async function childOpen(path: string) {
  const dist = join(import.meta.dirname, '..', '..', 'dist', 'ledger', 'index.js')
  const built = existsSync(dist)
  const open = built ? ((await import(dist)) as { openLedger: typeof openLedger }).openLedger : openLedger
  const t0 = performance.now()
  const ledger = await open({ path, privateKey: await generateKeyPair('Ed25519') })
  const openMs = performance.now() - t0
  const clock = await ledger.clock()
  const entries = Object.values(clock).reduce((a, b) => a + b, 0)
  globalThis.gc?.()
  const rss = process.memoryUsage().rss
  const heapMb = Math.round(process.memoryUsage().heapUsed / 1024 / 1024)
  await ledger.close()
  process.stdout.write(JSON.stringify({ entries, openMs, rss, heapMb, built }))
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'farm-bench-ledger-'))
  try {
    const syncEntries = Number(values['sync-entries'])
    const openEntries = Number(values['open-entries'])
    console.log(`ledger bench on ${process.version}; timings are noisy on a shared 2-core machine`)
    const baseline = cryptoBaseline()
    console.log(
      `baseline, ed25519 alone:          sign ${baseline.signUs.toFixed(0)} µs CPU, verify ${baseline.verifyUs.toFixed(0)} µs CPU (load average ${loadavg()[0]?.toFixed(1)})`,
    )

    const single = await newLedger(dir, 'single')
    const singleN = 2000
    const singleRun = await timed(async () => {
      for (let i = 0; i < singleN; i++)
        await single.append('capture', { day: '2026-11-21', time: '120000', file: SCENE_HASH })
    })
    const singlePerS = rate(singleN, singleRun.ms)
    console.log(
      `append, one entry per write:      ${singlePerS} entries/s, ${perEntry(singleRun.cpuUs, singleN)} (${singleN} entries)`,
    )
    await single.close()

    const payer = await newLedger(dir, 'payer')
    const workers = [await newLedger(dir, 'w1'), await newLedger(dir, 'w2')]
    await payer.append('grant', { to: payer.author, amount: 1_000_000_000 })
    const job = (await payer.append('job', jobBody(payer.author, 0))).hash
    const perWorker = Math.floor((syncEntries * 0.45) / workers.length)
    const batched = await timed(async () => {
      await work(workers[0]!, job, perWorker, 3, 1000, 1)
      await work(workers[1]!, job, perWorker, 3, 1000, 5001)
    })
    const batchedPerS = rate(perWorker * 2, batched.ms)
    console.log(
      `append, batches of 1000:          ${batchedPerS} entries/s, ${perEntry(batched.cpuUs, perWorker * 2)} (${perWorker * 2} entries)`,
    )

    const ingest = await timed(async () => {
      let accepted = 0
      for (const worker of workers) {
        for await (const batch of worker.missing(await payer.clock())) {
          const result = await payer.ingest(batch)
          accepted += result.accepted
          if (result.refused.length) throw new Error(`refused ${JSON.stringify(result.refused[0])}`)
        }
      }
      return accepted
    })
    const ingestPerS = rate(ingest.value, ingest.ms)
    console.log(
      `ingest, verified, batches of 1000: ${ingestPerS} entries/s, ${perEntry(ingest.cpuUs, ingest.value)} (${ingest.value} entries)`,
    )

    const verdicts: { type: EntryType; body: EntryBody }[] = []
    const total = () => Object.values(payer.state().clock).reduce((a, b) => a + b, 0)
    for (let frame = 1; total() + verdicts.length < syncEntries; frame++) {
      const worker = frame < 5001 ? workers[0]! : workers[1]!
      verdicts.push({ type: 'verified', body: { job, frame, worker: worker.author, ok: true, amount: 1000 } })
      if (verdicts.length === 1000 || total() + verdicts.length >= syncEntries)
        await payer.appendBatch(verdicts.splice(0))
    }
    for (const w of workers) await w.close()

    const cold = await newLedger(dir, 'cold')
    const sync = await timed(async () => {
      let synced = 0
      for await (const batch of payer.missing(await cold.clock()))
        synced += (await cold.ingest(batch)).accepted
      return synced
    })
    const syncS = sync.ms / 1000
    console.log(
      `cold sync, clock -> missing -> ingest: ${sync.value} entries in ${syncS.toFixed(2)} s, ${perEntry(sync.cpuUs, sync.value)}`,
    )
    const same = JSON.stringify(cold.state().balances) === JSON.stringify(payer.state().balances)
    console.log(`  replica balances equal the source's: ${same}`)
    await cold.close()
    await payer.close()

    const big = join(dir, 'big')
    const t = performance.now()
    execFileSync(process.execPath, [SELF, '--child-build', big, '--open-entries', String(openEntries)], {
      stdio: 'inherit',
    })
    console.log(
      `built a store of ${openEntries} entries in ${((performance.now() - t) / 1000).toFixed(1)} s (child process)`,
    )
    // The first open also finishes LevelDB's compactions left by the build; the second is a node
    // restarting on a settled store. Both are printed.
    const openOnce = () =>
      JSON.parse(
        execFileSync(process.execPath, ['--expose-gc', SELF, '--child-open', big], { encoding: 'utf8' }),
      ) as { entries: number; openMs: number; rss: number; heapMb: number; built: boolean }
    const first = openOnce()
    const opened = openOnce()
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
    const rssMb = mb(opened.rss)
    const from = opened.built
      ? 'dist'
      : 'sources under type stripping: run `npm run build` for the figure `farm` sees'
    console.log(
      `open of ${opened.entries} entries: ${Math.round(opened.openMs)} ms, RSS ${rssMb} MB, JS heap ${opened.heapMb} MB ` +
        `(first open after the build: ${Math.round(first.openMs)} ms, RSS ${mb(first.rss)} MB; from ${from})`,
    )

    // A new member: an empty store in its own process, syncing the whole history over the swarm
    // from a process serving the store above (LevelDB on both ends, every signature checked).
    const secret = newSwarmSecret()
    const holder = await serveLedger(big, secret)
    let joined: Awaited<ReturnType<typeof joinLedger>>
    try {
      joined = await joinLedger(join(dir, 'newcomer', 'ledger'), secret, holder.address, opened.entries)
    } finally {
      await holder.stop()
    }
    const joinRss = Math.round(joined.peakRssMb)
    console.log(
      `a new member syncs ${opened.entries} entries of history from another process: ${joined.seconds.toFixed(1)} s ` +
        `(${rate(opened.entries, joined.seconds * 1000)} entries/s), CPU ${joined.cpuSeconds.toFixed(1)} s, peak RSS ${joinRss} MB (load average ${loadavg()[0]?.toFixed(1)})`,
    )
    console.log(
      `  baseline: a restart opens the same store in ${(opened.openMs / 1000).toFixed(1)} s; checking its signatures alone is ` +
        `${((baseline.verifyUs * opened.entries) / 1e6).toFixed(0)} s of CPU at ${baseline.verifyUs.toFixed(0)} µs each`,
    )

    // A long job's share of the log: frames, claims, renewals, results and verdicts.
    const frames = Number(values['year-frames'])
    const year = await measureFrames(join(dir, 'year'), frames)
    const perFrame = (n: number) => n / frames
    const kinds = ['claim', 'renewal', 'rendered', 'verified']
    console.log(
      `a ${frames}-frame job of ${FRAME_MS / 60_000}-minute frames: ${perFrame(year.entries).toFixed(2)} entries and ${perFrame(year.bytes).toFixed(0)} bytes per frame ` +
        `(${(year.bytes / 1e6).toFixed(1)} MB of entries, ${(year.diskBytes / 1e6).toFixed(1)} MB in LevelDB); ` +
        kinds
          .map(
            (k) =>
              `${k} ${perFrame(year.byKind[k]?.entries ?? 0).toFixed(2)} x ${Math.round((year.byKind[k]?.bytes ?? 0) / Math.max(1, year.byKind[k]?.entries ?? 0))} B`,
          )
          .join(', '),
    )
    const renewalShare = (year.byKind.renewal?.bytes ?? 0) / year.bytes
    const minimal = ['claim', 'rendered', 'verified'].reduce((n, k) => n + (year.byKind[k]?.bytes ?? 0), 0)
    console.log(
      `  baseline: the same frames without lease renewals (a claim, a result, a verdict): ${perFrame(year.entries - (year.byKind.renewal?.entries ?? 0)).toFixed(2)} entries, ` +
        `${perFrame(minimal).toFixed(0)} bytes per frame; renewals (${year.renewalsPerFrame} per frame) are ${(renewalShare * 100).toFixed(0)} % of the bytes`,
    )
    const framesPerYear = (365 * 24 * 3600_000) / FRAME_MS
    const yearEntries = perFrame(year.entries) * framesPerYear
    console.log(
      `  a year of one busy worker (${framesPerYear.toLocaleString('en')} frames): ${(yearEntries / 1e6).toFixed(2)} M entries, ${((perFrame(year.bytes) * framesPerYear) / 1e6).toFixed(0)} MB; ` +
        `12 such workers: ${((12 * yearEntries) / 1e6).toFixed(1)} M entries, which a new member would sync in ~${((12 * yearEntries) / rate(opened.entries, joined.seconds * 1000) / 60).toFixed(0)} min at the rate above`,
    )
    console.log(
      `goals: batched appends >= 20000/s ${batchedPerS >= 20_000 ? 'met' : 'MISSED'}, ingest >= 10000/s ${ingestPerS >= 10_000 ? 'met' : 'MISSED'}, ` +
        `sync <= 10 s ${syncS <= 10 ? 'met' : 'MISSED'}, RSS <= 150 MB ${rssMb <= 150 ? 'met' : 'MISSED'}, ` +
        `new member of a 1M history <= 60 s ${joined.seconds <= 60 ? 'met' : 'MISSED'} and RSS <= 200 MB ${joinRss <= 200 ? 'met' : 'MISSED'}`,
    )
    console.log(
      `append_single_per_s=${singlePerS} append_batched_per_s=${batchedPerS} open1m_rss_mb=${rssMb} ingest_per_s=${ingestPerS} sync100k_s=${syncS.toFixed(2)} ` +
        `join1m_s=${joined.seconds.toFixed(1)} join1m_rss_mb=${joinRss} entries_per_frame=${perFrame(year.entries).toFixed(2)} bytes_per_frame=${perFrame(year.bytes).toFixed(0)}`,
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (values['child-build']) await buildHistory(values['child-build'], Number(values['open-entries']))
else if (values['child-open']) await childOpen(values['child-open'])
else await main()
