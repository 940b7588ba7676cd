// `npm run bench:throughput`: only the wall-clock throughput of 4 in-process masternodes and the
// verify bound of the same run (the first part of bench:consensus), for profiling and quick checks.
// BENCH_TXS transactions (default 3000), window BENCH_WINDOW (default 64). Prints JSON.
import { createVerifierPool } from '../src/node/crypto/verifier-pool.ts'
import { finalizedThroughput, prepareTransactions, verifyBound } from './consensus/throughput.ts'

const txs = Number(process.env.BENCH_TXS ?? 3000)
const window = Number(process.env.BENCH_WINDOW ?? 64)
const prepared = prepareTransactions(txs, 256)
// The Node shell's verifier: a worker pool, one packed batch per verifyMany.
const verifier = createVerifierPool()
const before = await verifyBound(prepared.txs, verifier)
const run = await finalizedThroughput(prepared, {
  masternodes: 4,
  transactions: txs,
  window,
  walletKeys: 256,
  verdictCache: true,
  verifier,
  timeoutMs: 120_000,
})
const after = await verifyBound(prepared.txs, verifier)
await verifier.close()
const verifyPerSec = Math.round((before.perSec + after.perSec) / 2)
const boundTxPerSec = Math.round(verifyPerSec / 4)
process.stdout.write(
  `${JSON.stringify(
    {
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
