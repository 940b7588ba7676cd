// `npm run bench:throughput`: only the wall-clock throughput of 4 in-process masternodes against
// the verify bound of the same run (the first part of bench:consensus), for profiling and quick
// checks. BENCH_TXS payments (default 3000), window BENCH_WINDOW (default 64), BENCH_MODE
// `single` (default: all masternodes on one thread) or `threads` (a worker thread each, memory
// stores), BENCH_STORE `memory` (default) or `leveldb` (as a daemon runs). Prints JSON.
import { availableParallelism } from 'node:os'
import { createVerifierPool } from '../src/node/crypto/verifier-pool.ts'
import { threadedThroughput } from './consensus/threads.ts'
import { finalizedThroughput, prepareTransactions, verifyBound } from './consensus/throughput.ts'

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
// The masternodes' pool: a worker per core, as for the bound (POOL_WORKERS overrides).
const poolSize = Number(process.env.POOL_WORKERS ?? availableParallelism())
const nodeVerifier = createVerifierPool(poolSize)
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
const after = await verifyBound(prepared.txs, verifier)
await verifier.close()
const verifyPerSec = Math.round((before.perSec + after.perSec) / 2)
const boundTxPerSec = Math.round(verifyPerSec / 4)
process.stdout.write(
  `${JSON.stringify(
    {
      mode,
      poolWorkers: poolSize,
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
