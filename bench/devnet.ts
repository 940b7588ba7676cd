// `npm run bench:devnet` (issue 11, point 8): the devnet's figures over real processes, as one JSON
// object printed and written to bench/results/devnet.json. Four `timecoin masternode` processes on
// loopback, started by the devnet's own launcher (src/node/devnet: a temporary data directory,
// free ports, every child stopped at the end — on an error or Ctrl-C too), then:
//  0. the yardsticks, before the devnet starts: the persistent-stream echo RTT over loopback TCP
//     (bench/net-raw.ts) and this machine's Ed25519 verify rate through the worker pool, with the
//     verify bound in tx/s = verify/s ÷ 4 (bench/consensus/throughput.ts, as bench:throughput);
//  1. light load: BENCH_PAYMENTS payments sent by JSON-RPC to masternode 0, BENCH_IN_FLIGHT at a
//     time; each one's time from the submit to "final" answered by every masternode, p50 / p99;
//  2. saturation: independent payments from BENCH_KEYS funded keys, signed before the clock
//     starts, sent round-robin to the four by BENCH_CONCURRENCY senders for BENCH_SECONDS;
//     finalized tx/s counted at all four (their Prometheus counters) and the refused submissions.
//     The mempool is bounded (`maxmempool`; its limits, from getmempoolinfo, are in the JSON). Meanwhile the V8
//     profiler samples masternode 0 (its inspector opened by SIGUSR1): the top functions and files
//     by self time say where the time goes.
// The targets: p50 ≤ 10 ms and ≤ 20 × echo RTT; ≥ 1,500 tx/s and ≥ 40 % of the verify bound.
//
// Environment (all optional):
//   BENCH_PAYMENTS     light-load payments measured (200), after BENCH_WARMUP (20) unmeasured
//   BENCH_IN_FLIGHT    light-load payments in flight at once (1)
//   BENCH_FINALITY     `wait` (waittransactionfinality at all four, default) or `poll`
//                      (gettransactionfinality every millisecond at all four)
//   BENCH_SECONDS      saturation window in seconds (20)
//   BENCH_CONCURRENCY  saturation: HTTP requests in flight (16)
//   BENCH_BATCH        saturation: transactions per request, a JSON-RPC batch when > 1 (8)
//   BENCH_SAT_TXS      saturation: payments signed beforehand (2,000 × BENCH_SECONDS)
//   BENCH_KEYS         funded keys (1,000)
//   BENCH_MEMPOOL      each masternode's `maxmempool` (10,000 transactions; devnet blocks every 2 s)
//   BENCH_PROFILE      0: no profile of masternode 0 during saturation (default 1)
//   BENCH_KEEP         1: keep the devnet's data directory (logs) after the run
// About 1–2 minutes plus the signing. Needs the loopback interface only.
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { nativeSigner } from '../src/node/crypto/native-signer.ts'
import { createVerifierPool } from '../src/node/crypto/verifier-pool.ts'
import { type Devnet, startDevnet } from '../src/node/devnet/index.ts'
import { prepareTransactions, verifyBound } from './consensus/throughput.ts'
import {
  type FinalityWatch,
  lightLoad,
  nodeFinality,
  readMetrics,
  saturation,
  sendAndWatch,
} from './devnet/phases.ts'
import { attachProfiler, INSPECT_OPTION, type RunningProfile } from './devnet/profiler.ts'
import { BenchRpc, planFunding, preparePayments } from './devnet/wallet.ts'
import { report } from './measure.ts'
import { addressFor, echoRtt, rawPair } from './net-raw.ts'

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0`)
  return v
}
const PAYMENTS = env('BENCH_PAYMENTS', 200)
const WARMUP = env('BENCH_WARMUP', 20)
const IN_FLIGHT = Math.max(1, env('BENCH_IN_FLIGHT', 1))
const WATCH: FinalityWatch = process.env.BENCH_FINALITY === 'poll' ? 'poll' : 'wait'
const SECONDS = Math.max(1, env('BENCH_SECONDS', 20))
const CONCURRENCY = Math.max(1, env('BENCH_CONCURRENCY', 16))
const BATCH = Math.max(1, env('BENCH_BATCH', 8))
const SAT_TXS = env('BENCH_SAT_TXS', 2_000 * SECONDS)
const KEYS = Math.max(1, env('BENCH_KEYS', 1_000))
const MEMPOOL = Math.max(100, env('BENCH_MEMPOOL', 10_000))
const PROFILE = process.env.BENCH_PROFILE !== '0'
const KEEP = process.env.BENCH_KEEP === '1'

const started = performance.now()
const round = (x: number, digits = 0) => Number(x.toFixed(digits))
const load = () => loadavg().map((x) => round(x, 2))
const loadAtStart = load()
const log = (line: string) =>
  process.stderr.write(`[${round((performance.now() - started) / 1000, 1)} s] ${line}\n`)

// ── 0. the yardsticks, measured before the devnet's processes take the cores ──────────────────

async function echo() {
  const { client, server } = await rawPair()
  try {
    return await echoRtt(await client.dial(addressFor(server, 'tcp')))
  } finally {
    await Promise.all([client.stop(), server.stop()])
  }
}

async function verifyRate() {
  const pool = createVerifierPool()
  try {
    const { txs } = prepareTransactions(1024, 256)
    const first = await verifyBound(txs, pool)
    const second = await verifyBound(txs, pool)
    const perSec = round((first.perSec + second.perSec) / 2)
    return { workers: pool.workers, verifyPerSec: perSec, boundTxPerSec: round(perSec / 4) }
  } finally {
    await pool.close()
  }
}

// ── the devnet, stopped whatever happens ──────────────────────────────────────────────────────

let devnet: Devnet | undefined
const abort = new AbortController()
let interrupted = false
process.once('SIGINT', () => {
  interrupted = true
  log('interrupted: stopping the masternodes')
  abort.abort(new Error('interrupted (SIGINT)'))
  void (devnet?.stop() ?? Promise.resolve()).finally(() => process.exit(130))
})

async function start(): Promise<Devnet> {
  // The children inherit NODE_OPTIONS: an inspector port for later (nothing listens until SIGUSR1).
  const before = process.env.NODE_OPTIONS
  if (PROFILE) process.env.NODE_OPTIONS = [before, INSPECT_OPTION].filter(Boolean).join(' ')
  try {
    return await startDevnet({
      masternodes: 4,
      fixedPorts: false,
      keep: KEEP,
      write: (t) => void process.stderr.write(t),
      signal: abort.signal,
      conf: [`maxmempool=${MEMPOOL}`],
    })
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = before
  }
}

/** Sends `txs` (spending nothing of each other) to masternode 0 and waits until all are final. */
async function fund(rpcs: readonly BenchRpc[], txs: readonly { txid: string; hex: string }[]) {
  let next = 0
  const lane = async () => {
    for (let i = next++; i < txs.length; i = next++)
      await sendAndWatch(rpcs, rpcs[0]!, txs[i]!, 'wait', 60_000)
  }
  await Promise.all(Array.from({ length: 8 }, lane))
}

async function run() {
  log('yardsticks: echo RTT over loopback TCP, Ed25519 verify rate')
  const echoRttBefore = await echo()
  const verify = await verifyRate()
  log(`echo p50 ${echoRttBefore.p50Ms} ms; ${verify.verifyPerSec} verify/s`)

  devnet = await start()
  const d = devnet
  log(`devnet ready in ${round(d.startupMs)} ms: ${d.root}`)
  const rpcs = await Promise.all(d.nodes.map((n) => BenchRpc.open(n.rpcUrl, n.cookie)))
  const mempoolLimits = (await rpcs[0]!.call('getmempoolinfo')) as Record<string, unknown>

  const coin = await d.demoCoin()
  if (coin === undefined) throw new Error('the faucet has no coin')
  const genesisHash = d.genesis.hash
  const faucet = { ...coin, key: d.faucet, signer: nativeSigner(d.faucet) }
  const needed = WARMUP + PAYMENTS + SAT_TXS
  log(`funding ${needed} outputs over ${KEYS} keys`)
  const fundStart = performance.now()
  const plan = planFunding(faucet, needed, KEYS, genesisHash)
  await fund(rpcs, [plan.split])
  await fund(rpcs, plan.funding)
  const fundS = round((performance.now() - fundStart) / 1000, 1)
  log(`funded in ${fundS} s (${plan.funding.length + 1} transactions); signing the payments`)
  const { payments, signMs } = preparePayments(plan.outputs, genesisHash)
  log(`signed ${payments.length} payments in ${round(signMs)} ms`)

  log(`light load: ${WARMUP} warm-up + ${PAYMENTS} payments, ${IN_FLIGHT} in flight`)
  await lightLoad(rpcs, payments.slice(0, WARMUP), IN_FLIGHT, WATCH)
  const histogramBefore = await readMetrics(d.nodes[0]!.ports.metrics)
  const measured = await lightLoad(
    rpcs,
    payments.slice(WARMUP, WARMUP + PAYMENTS),
    IN_FLIGHT,
    WATCH,
  )
  const histogramAfter = await readMetrics(d.nodes[0]!.ports.metrics)
  const light = {
    ...measured,
    atMasternode0: {
      ...nodeFinality(histogramBefore.finalityBuckets, histogramAfter.finalityBuckets),
      note: 'its own finality histogram (handed to it → final there, no HTTP): bucket bounds',
    },
  }
  log(`p50 ${light.p50Ms} ms, p99 ${light.p99Ms} ms`)

  log(`saturation: ${SECONDS} s, ${CONCURRENCY} requests in flight × ${BATCH} transactions`)
  let profiler: RunningProfile | undefined
  let profile: unknown = PROFILE ? null : 'BENCH_PROFILE=0'
  const profiled = d.nodes[0]!
  const sat = await saturation(
    d.nodes.map((n, i) => ({ rpc: rpcs[i]!, metricsPort: n.ports.metrics })),
    payments.slice(WARMUP + PAYMENTS),
    {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      batch: BATCH,
      onWindow: async (edge) => {
        if (!PROFILE) return
        try {
          if (edge === 'start' && profiled.process.pid !== undefined)
            profiler = await attachProfiler(profiled.process.pid, profiled.logFile)
          else if (edge === 'end' && profiler !== undefined) profile = await profiler.stop(15)
        } catch (e) {
          profile = { error: (e as Error).message }
        }
      },
    },
  )
  log(`${sat.finalizedTxPerSec} tx/s finalized at all four; ${sat.refused} refused`)
  const { mempool: mempoolAfter } = await readMetrics(d.nodes[0]!.ports.metrics)
  const echoRttAfter = await echo()
  return {
    d,
    verify,
    echoRttBefore,
    echoRttAfter,
    light,
    sat,
    profile,
    mempoolLimits,
    fundS,
    signMs,
    mempoolAfter,
  }
}

try {
  const r = await run()
  const echoP50 = Math.max(r.echoRttBefore.p50Ms, 0.001)
  const met = {
    p50: r.light.p50Ms <= 10,
    p50EchoRatio: r.light.p50Ms <= 20 * echoP50,
    txPerSec: r.sat.finalizedTxPerSec >= 1_500,
    verifyBoundShare: r.sat.finalizedTxPerSec >= 0.4 * r.verify.boundTxPerSec,
  }
  const missed = Object.values(met).includes(false)
  report('devnet', {
    machine: 'shared with other work (see loadAverage); 4 masternode processes and this client',
    loadAverage: { atStart: loadAtStart, atEnd: load() },
    masternodes: r.d.nodes.length,
    devnet: {
      startupMs: round(r.d.startupMs),
      verifyThreads: 0,
      fundingSeconds: r.fundS,
      paymentsSignedMs: round(r.signMs),
      funding: `${KEYS} keys; each payment spends its own funded output (1 input, 2 outputs)`,
    },
    yardsticks: {
      persistentStreamEchoRtt: r.echoRttBefore,
      persistentStreamEchoRttAfter: r.echoRttAfter,
      ed25519: r.verify,
      note: 'measured in this run, before the devnet started (echo also after it stopped sending)',
    },
    lightLoad: {
      via: 'JSON-RPC sendrawtransaction to masternode 0',
      finalityObserved:
        WATCH === 'wait'
          ? 'waittransactionfinality at all four masternodes, sent together with the submit; a payment is final when the last of the four answers'
          : 'gettransactionfinality polled every millisecond at all four masternodes',
      measured:
        'from sending sendrawtransaction to the last of the four answering final (HTTP exchanges included)',
      warmup: WARMUP,
      ...r.light,
      echoRttP50Ms: r.echoRttBefore.p50Ms,
      p50OverEchoRtt: round(r.light.p50Ms / echoP50, 1),
      target: 'p50 ≤ 10 ms and p50 ≤ 20 × echo RTT',
      met: { p50: met.p50, echoRatio: met.p50EchoRatio },
    },
    saturation: {
      via: 'JSON-RPC sendrawtransaction round-robin to all four masternodes',
      counted:
        'timecoin_finalized_transactions_total at every masternode; the figure is the least of the four',
      mempool: r.mempoolLimits,
      mempoolAfter: r.mempoolAfter,
      ...r.sat,
      verifyBoundTxPerSec: r.verify.boundTxPerSec,
      shareOfVerifyBound: round(r.sat.finalizedTxPerSec / r.verify.boundTxPerSec, 3),
      target: '≥ 1,500 tx/s and ≥ 40 % of the verify bound',
      met: { txPerSec: met.txPerSec, verifyBoundShare: met.verifyBoundShare },
    },
    whereTheTimeGoes: missed
      ? {
          profiled: 'masternode 0 during the saturation window (V8 sampling profiler, inspector)',
          note: "busyMs is wall time its thread was not idle, including time the system gave to other processes; the CPU each masternode used, its share of a core and its CPU per finalized transaction are in saturation.cpu; the light-load split is lightLoad.submitOnlyP50Ms (the submit's HTTP exchange) and lightLoad.atMasternode0 (the node's own finality histogram, no HTTP)",
          profile: r.profile,
        }
      : 'every target met',
    seconds: round((performance.now() - started) / 1000),
  })
} catch (e) {
  if (!interrupted) process.stderr.write(`bench:devnet failed: ${(e as Error).stack ?? e}\n`)
  process.exitCode = 1
} finally {
  if (devnet !== undefined) {
    const stopped = await devnet.stop()
    if (stopped.killed.length > 0)
      log(`killed after the grace period: ${stopped.killed.join(', ')}`)
    if (KEEP) log(`kept ${devnet.root}`)
  }
}
