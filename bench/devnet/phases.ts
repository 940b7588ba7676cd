// The two measured phases of `npm run bench:devnet`, over JSON-RPC to masternode processes:
//  - light load: payments sent one (or a few) at a time to one masternode; each one's time from
//    the submit to the moment every masternode has answered that it is final — by a
//    `waittransactionfinality` at each, sent together with the submit (a wait may arrive before
//    the transaction and simply waits), or by polling `gettransactionfinality` (BENCH_FINALITY);
//  - saturation: pre-signed independent payments sent round-robin to all masternodes by
//    `concurrency` senders for a fixed time; finalized transactions counted at every masternode
//    from its Prometheus counter (`timecoin_finalized_transactions_total`), refusals by reason.
// Invariants: every wait is bounded; nothing here starts or stops a process.
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { quantile } from '../../src/node/devnet/payment-demo.ts'
import type { BenchRpc, Prepared, RpcFailure } from './wallet.ts'

const round = (x: number, digits = 2) => Number(x.toFixed(digits))
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

export type FinalityWatch = 'wait' | 'poll'

interface FinalityAnswer {
  readonly final: boolean
  readonly status: string
  readonly acceptweight?: number
  readonly threshold?: number
  readonly decision?: string | null
}

function notFinal(txid: string, rpc: BenchRpc, start: number, a: FinalityAnswer): Error {
  const ms = Math.round(performance.now() - start)
  return new Error(
    `${txid} not final at ${rpc.url} after ${ms} ms: ${a.status}, accept weight ${a.acceptweight}/${a.threshold}, decision ${a.decision}`,
  )
}

/** Resolves with the milliseconds since `start` at which `rpc` says `txid` is final. */
async function finalAt(
  rpc: BenchRpc,
  txid: string,
  start: number,
  watch: FinalityWatch,
  timeoutMs: number,
): Promise<number> {
  if (watch === 'wait') {
    const a = (await rpc.call('waittransactionfinality', [txid, timeoutMs])) as FinalityAnswer
    if (!a.final) throw notFinal(txid, rpc, start, a)
    return performance.now() - start
  }
  const deadline = start + timeoutMs
  for (;;) {
    const a = (await rpc.call('gettransactionfinality', [txid])) as FinalityAnswer
    if (a.final) return performance.now() - start
    if (performance.now() > deadline) throw notFinal(txid, rpc, start, a)
    await pause(1)
  }
}

/** Sends `tx` to `via` and resolves when every node says it is final: the per-node times. */
export async function sendAndWatch(
  nodes: readonly BenchRpc[],
  via: BenchRpc,
  tx: Prepared,
  watch: FinalityWatch,
  timeoutMs = 20_000,
): Promise<{ submitMs: number; finalMs: number[] }> {
  const start = performance.now()
  const watched = nodes.map((n) => finalAt(n, tx.txid, start, watch, timeoutMs))
  for (const w of watched) w.catch(() => {}) // awaited below
  await via.call('sendrawtransaction', [tx.hex])
  const submitMs = performance.now() - start
  return { submitMs, finalMs: await Promise.all(watched) }
}

function stats(values: readonly number[]) {
  return {
    p50Ms: round(quantile(values, 0.5)),
    p99Ms: round(quantile(values, 0.99)),
    maxMs: round(Math.max(...values)),
    meanMs: round(values.reduce((s, v) => s + v, 0) / values.length),
  }
}

/** The light-load phase: `payments` sent to `nodes[0]`, `inFlight` at a time. */
export async function lightLoad(
  nodes: readonly BenchRpc[],
  payments: readonly Prepared[],
  inFlight: number,
  watch: FinalityWatch,
) {
  const all: number[] = []
  const submits: number[] = []
  const perNode: number[][] = nodes.map(() => [])
  const failures: string[] = []
  let next = 0
  const lane = async () => {
    for (let i = next++; i < payments.length; i = next++) {
      let r: Awaited<ReturnType<typeof sendAndWatch>>
      try {
        r = await sendAndWatch(nodes, nodes[0]!, payments[i]!, watch)
      } catch (e) {
        failures.push((e as Error).message)
        continue
      }
      all.push(Math.max(...r.finalMs))
      submits.push(r.submitMs)
      for (const [k, ms] of r.finalMs.entries()) perNode[k]!.push(ms)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: inFlight }, lane))
  return {
    payments: payments.length,
    inFlight,
    ...stats(all),
    submitOnlyP50Ms: round(quantile(submits, 0.5)),
    finalAtEachMasternodeP50Ms: perNode.map((v) => round(quantile(v, 0.5))),
    notFinalEverywhere: failures.length,
    notFinalFirst: failures.slice(0, 5),
    seconds: round((performance.now() - started) / 1000, 1),
  }
}

type Buckets = readonly { readonly le: number; readonly count: number }[]

/** A masternode's Prometheus figures this bench reads (NaN when the metrics server fails). */
export interface NodeMetrics {
  /** When the answer came (performance.now()). */
  readonly at: number
  readonly finalized: number
  readonly mempool: number
  readonly cpuSeconds: number
  readonly eventLoopLagP99Ms: number
  readonly finalityBuckets: Buckets
}

export async function readMetrics(metricsPort: number, timeoutMs = 15_000): Promise<NodeMetrics> {
  // Three tries: a kept-alive connection the server has just closed fails the first.
  for (let attempt = 1; ; attempt++) {
    const m = await readMetricsOnce(metricsPort, timeoutMs)
    if (!Number.isNaN(m.finalized) || attempt === 3) return m
  }
}

async function readMetricsOnce(metricsPort: number, timeoutMs: number): Promise<NodeMetrics> {
  const pick = (text: string, name: string) => {
    const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)
    return m === null ? Number.NaN : Number(m[1])
  }
  try {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await response.text()
    return {
      at: performance.now(),
      finalized: pick(text, 'timecoin_finalized_transactions_total'),
      mempool: pick(text, 'timecoin_mempool_transactions'),
      cpuSeconds: pick(text, 'timecoin_process_cpu_seconds_total'),
      eventLoopLagP99Ms: pick(text, 'timecoin_nodejs_eventloop_lag_p99_seconds') * 1000,
      finalityBuckets: [
        ...text.matchAll(/^timecoin_finality_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm),
      ].map((m) => ({
        le: m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]),
        count: Number(m[2]),
      })),
    }
  } catch {
    const nan = Number.NaN
    return {
      at: performance.now(),
      finalized: nan,
      mempool: nan,
      cpuSeconds: nan,
      eventLoopLagP99Ms: nan,
      finalityBuckets: [],
    }
  }
}

/**
 * From a node's finality histogram (handed to the node → final there) read before and after a
 * phase: the upper bounds of the buckets holding that phase's median and 99th percentile.
 */
export function nodeFinality(before: Buckets, after: Buckets) {
  if (before.length === 0 || after.length === 0)
    return { transactions: null, p50AtMostMs: null, p99AtMostMs: null, error: 'metrics unread' }
  const counts = after.map((b) => ({
    le: b.le,
    count: b.count - (before.find((x) => x.le === b.le)?.count ?? 0),
  }))
  const total = counts.at(-1)?.count ?? 0
  const upTo = (q: number): number | string | null => {
    if (total === 0) return null
    const le = counts.find((c) => c.count >= q * total)?.le ?? Number.NaN
    return Number.isFinite(le) ? le * 1000 : 'above the last bucket (10 s)'
  }
  return { transactions: total, p50AtMostMs: upTo(0.5), p99AtMostMs: upTo(0.99) }
}

export interface SaturationOptions {
  readonly seconds: number
  /** HTTP requests in flight at most. */
  readonly concurrency: number
  /** Transactions per request (a JSON-RPC batch when more than one). */
  readonly batch: number
  /** Called once the senders start and once the window closes (the profiler). */
  readonly onWindow?: (edge: 'start' | 'end') => Promise<void>
}

/** The reason of a request that got no JSON-RPC answer (not counted as refused). */
const NO_ANSWER = 'no answer'

/** A refusal's reason without the txid or amounts in it, to count them by kind. */
function reason(e: RpcFailure): string {
  if (e.code === undefined) return `${NO_ANSWER}: ${e.message}`
  const text = e.message.replace(/[0-9a-f]{16,}/g, '…').replace(/\d+/g, 'N')
  return `${e.code}: ${text.slice(0, 100)}`
}

/** The saturation phase over `nodes` (each with its metrics port). */
export async function saturation(
  nodes: readonly { rpc: BenchRpc; metricsPort: number }[],
  payments: readonly Prepared[],
  o: SaturationOptions,
) {
  const counters = async () => Promise.all(nodes.map((n) => readMetrics(n.metricsPort)))
  const base = await counters()
  const windowMs = o.seconds * 1000
  let sent = 0
  let accepted = 0
  let requests = 0
  const refused = new Map<string, number>()
  let next = 0
  let exhaustedMs: number | undefined
  const timeline: { atS: number; finalizedMin: number; mempoolMax: number }[] = []
  await o.onWindow?.('start')
  const start = performance.now()
  const open = () => performance.now() - start < windowMs
  const sender = async (lane: number) => {
    let target = lane
    while (open()) {
      const from = next
      if (from >= payments.length) {
        exhaustedMs ??= performance.now() - start
        return
      }
      next = Math.min(payments.length, from + o.batch)
      const slice = payments.slice(from, next)
      const node = nodes[target++ % nodes.length]!
      requests++
      const answers = await node.rpc.batch(
        slice.map((p) => ({ method: 'sendrawtransaction', params: [p.hex] })),
      )
      sent += slice.length
      for (const a of answers)
        if (a.ok) accepted++
        else refused.set(reason(a.error), (refused.get(reason(a.error)) ?? 0) + 1)
    }
  }
  // Every second, the counters at every masternode (four HTTP GETs, timed at their answer).
  let sampling = true
  const sampler = (async () => {
    for (let s = 1; sampling; s++) {
      await pause(Math.max(0, start + s * 1000 - performance.now()))
      if (!sampling) return
      const c = await counters()
      const finalized = c.map((x, i) => x.finalized - base[i]!.finalized)
      if (finalized.some(Number.isNaN)) continue
      timeline.push({
        atS: round((Math.max(...c.map((x) => x.at)) - start) / 1000, 2),
        finalizedMin: Math.min(...finalized),
        mempoolMax: Math.max(...c.map((x) => x.mempool)),
      })
    }
  })()
  await Promise.all(Array.from({ length: o.concurrency }, (_, i) => sender(i)))
  sampling = false
  const close = await counters()
  await o.onWindow?.('end')
  await sampler
  const windowS = (Math.max(...close.map((c) => c.at)) - start) / 1000
  const inWindow = close.map((c, i) => c.finalized - base[i]!.finalized)
  const atWindowEnd = Math.min(...inWindow)
  const cpu = close.map((c, i) => c.cpuSeconds - base[i]!.cpuSeconds)

  // The drain: until every masternode has finalized every accepted payment (bounded).
  const drainStart = performance.now()
  let finalizedEach = inWindow
  while (Math.min(...finalizedEach) < accepted && performance.now() - drainStart < 60_000) {
    await pause(200)
    finalizedEach = (await counters()).map((c, i) => c.finalized - base[i]!.finalized)
  }
  const drainS = (performance.now() - drainStart) / 1000
  const steadyFrom = timeline[Math.floor(timeline.length / 4)]
  const last = timeline.at(-1)
  const steady =
    steadyFrom !== undefined && last !== undefined && last.atS > steadyFrom.atS
      ? (last.finalizedMin - steadyFrom.finalizedMin) / (last.atS - steadyFrom.atS)
      : Number.NaN
  return {
    seconds: o.seconds,
    concurrency: o.concurrency,
    transactionsPerRequest: o.batch,
    prepared: payments.length,
    sent,
    accepted,
    refused: [...refused].reduce((s, [k, v]) => (k.startsWith(NO_ANSWER) ? s : s + v), 0),
    unanswered: [...refused].reduce((s, [k, v]) => (k.startsWith(NO_ANSWER) ? s + v : s), 0),
    refusedByReason: Object.fromEntries(refused),
    requests,
    windowSeconds: round(windowS, 2),
    submittedPerSec: round(sent / windowS, 0),
    finalizedAtAllInWindow: atWindowEnd,
    finalizedTxPerSec: round(atWindowEnd / windowS, 0),
    finalizedTxPerSecWithDrain: round(Math.min(...finalizedEach) / (windowS + drainS), 0),
    steadyFinalizedTxPerSec: round(steady, 0),
    steadyNote: 'from a quarter of the window to its end (the ramp-up left out)',
    exhaustedPreparedAtS: exhaustedMs === undefined ? null : round(exhaustedMs / 1000, 2),
    drainSeconds: round(drainS, 2),
    finalizedAtEachAfterDrain: finalizedEach,
    allAcceptedFinalEverywhere: Math.min(...finalizedEach) >= accepted,
    peakMempool: Math.max(...timeline.map((t) => t.mempoolMax)),
    cpu: {
      note: 'CPU seconds each masternode process used in the window (its process_cpu_seconds_total): on a shared machine a process gets a share of a core, not the wall time',
      secondsEach: cpu.map((c) => round(c, 2)),
      shareOfOneCoreEach: cpu.map((c) => round(c / windowS, 2)),
      cpuMsPerFinalizedTxEach: cpu.map((c) => round((1000 * c) / Math.max(atWindowEnd, 1), 2)),
      // At that CPU cost per transaction, what every core of this machine could finalize.
      ceilingOnAllCoresTxPerSec: round(
        (availableParallelism() * atWindowEnd) /
          Math.max(
            cpu.reduce((s, c) => s + c, 0),
            1e-9,
          ),
        0,
      ),
      eventLoopLagP99MsEach: close.map((c) => round(c.eventLoopLagP99Ms, 1)),
    },
    timeline,
  }
}
