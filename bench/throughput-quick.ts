// `npm run bench:throughput`: only the wall-clock throughput of 4 in-process masternodes against
// the verify bound of the same run (the first part of bench:consensus), for profiling and quick
// checks. BENCH_TXS payments (default 3000), window BENCH_WINDOW (default 64), BENCH_MODE
// `single` (default: all masternodes on one thread) or `threads` (a worker thread each, memory
// stores), BENCH_STORE `memory` (default) or `leveldb` (as a daemon runs). Prints JSON.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createVerifierPool } from '../src/node/crypto/verifier-pool.ts'
import { threadedThroughput } from './consensus/threads.ts'
import { finalizedThroughput, prepareTransactions, verifyBound } from './consensus/throughput.ts'
import { type CpuProfile, summarizeProfile } from './profile-summary.ts'

const txs = Number(process.env.BENCH_TXS ?? 3000)
const window = Number(process.env.BENCH_WINDOW ?? 64)
const mode = process.env.BENCH_MODE ?? 'single'
const store = process.env.BENCH_STORE === 'leveldb' ? 'leveldb' : 'memory'
const prepared = prepareTransactions(txs, 256)
// The bound: node:crypto with the ZIP215 arbiter on every core (the pool), as the masternodes use.
const verifier = createVerifierPool()
const before = await verifyBound(prepared.txs, verifier)
const options = {
  masternodes: 4,
  transactions: txs,
  window,
  verdictCache: true,
  timeoutMs: 120_000,
}
// The masternodes' pool: its default size, as for the bound (POOL_WORKERS overrides).
const nodeVerifier =
  process.env.POOL_WORKERS === undefined
    ? createVerifierPool()
    : createVerifierPool(Number(process.env.POOL_WORKERS))
// BENCH_PROFILE=<file.json>: the V8 profile of the timed run alone, summarized (profile-summary.ts).
const profileTo = process.env.BENCH_PROFILE
const session = profileTo === undefined ? undefined : new Session()
if (session !== undefined) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
}
const run =
  mode === 'single'
    ? await finalizedThroughput(prepared, {
        ...options,
        walletKeys: 256,
        verifier: nodeVerifier,
        store,
      })
    : await threadedThroughput(prepared, options)
await nodeVerifier.close()
if (session !== undefined && profileTo !== undefined) {
  const { profile } = await session.post('Profiler.stop')
  // BENCH_PROFILE_RAW=<file.cpuprofile>: the raw profile too, for DevTools or profile-summary.ts.
  if (process.env.BENCH_PROFILE_RAW)
    writeFileSync(process.env.BENCH_PROFILE_RAW, JSON.stringify(profile))
  const summary = summarizeProfile(profile as unknown as CpuProfile, { top: 15 })
  writeFileSync(
    profileTo,
    `${JSON.stringify({ mode, store, run: run.finalizedTxPerSec, ...summary }, null, 2)}\n`,
  )
  session.disconnect()
}
const after = await verifyBound(prepared.txs, verifier)
await verifier.close()
const verifyPerSec = Math.round((before.perSec + after.perSec) / 2)
const boundTxPerSec = Math.round(verifyPerSec / 4)
process.stdout.write(
  `${JSON.stringify(
    {
      mode,
      poolWorkers: nodeVerifier.workers,
      finalizedTxPerSec: run.finalizedTxPerSec,
      verifyPerSec,
      verifyBoundTxPerSec: boundTxPerSec,
      ratioToVerifyBound: Number((run.finalizedTxPerSec / boundTxPerSec).toFixed(3)),
      run,
    },
    null,
    2,
  )}\n`,
)
