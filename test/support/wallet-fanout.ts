// The wallet fan-out measure (DESIGN §9: one masternode holds 1,000 WebSocket subscribers;
// notification p99 ≤ 100 ms after finality; RSS per subscriber): four masternodes in this process,
// the first serving wallets; a swarm of wallets in a child process (wallet-swarm.ts), so this
// process's RSS grows by what the subscribers cost the masternode only. Each payment from the hot
// address is pushed to every subscriber; latency is the swarm's wall-clock receipt of the
// SpentFinalized push less the serving masternode's wall-clock time of finality. Importable by
// bench:network; the test is test/node/net/wallet-fanout.test.ts.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { bytesToHex, type Ed25519Verifier } from '../../src/core/index.ts'
import { MemoryPeerBook } from '../../src/core/net/index.ts'
import type { NodeHostOptions } from '../../src/node/net/host.ts'
import { addressesOf, startCommittee, stopCluster, until } from './net-engines.ts'
import { fanoutFx, HOT, HOT_COINS, hotPayment } from './wallet-fanout-fixture.ts'

export interface FanoutOptions {
  readonly subscribers: number
  readonly payments: number
  /** Wallets (of the subscribers) running the full light client, checking every proof. */
  readonly checked: number
  readonly transport: 'tcp' | 'ws'
  /** The masternodes' signature verifier (default: the core's; bench:network hands in its pool). */
  readonly verifier?: Ed25519Verifier
  /**
   * libp2p's connection monitor on the masternode and the wallets (default: a ping every 30 s,
   * 20 s at least to answer). libp2p's own (every 10 s, 5 s) aborts connections whose ping is late:
   * on a busy machine it drops wallets by the hundred (see the test).
   */
  readonly connectionMonitor?: NodeHostOptions['connectionMonitor']
}

export interface FanoutFigures {
  readonly transport: string
  readonly subscribers: number
  readonly payments: number
  /** Pushes received per payment over subscribers reading raw frames (expected: all of them). */
  readonly receipts: number
  readonly expectedReceipts: number
  /** From the masternode's finality to a subscriber's receipt (wall clocks of two processes). */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number }
  /** The masternode's share: from the SpentFinalized state to every push handed to the transport. */
  readonly serverPushMs: { readonly p50: number; readonly p99: number; readonly max: number }
  /** Growth of this process's RSS and V8 heap once every subscriber is in, over the subscribers. */
  readonly rssPerSubscriberBytes: number
  readonly heapPerSubscriberBytes: number
  readonly rssBeforeBytes: number
  readonly rssAfterBytes: number
  readonly subscribeMs: number
  /** Dials or subscribes the swarm tried again (a busy machine misses Noise deadlines). */
  readonly connectRetries: number
  /** Proofs the checking wallets refused (expected 0), and final states they hold proven. */
  readonly refused: number
  readonly checkedFinal: number
  readonly slowWallets: number
  readonly connectionMonitor: NodeHostOptions['connectionMonitor']
}

let child: ChildProcess | undefined

/** A full collection, twice (V8 frees some objects only on the second). */
function collect(): void {
  setFlagsFromString('--expose_gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN
}

function ask<T>(swarm: ChildProcess, message: unknown, reply: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      swarm.off('message', listener)
      reject(new Error(`the wallet swarm did not answer ${reply} within ${ms} ms`))
    }, ms)
    const listener = (raw: unknown) => {
      const m = raw as { type: string; error?: string }
      if (m.type === 'error') {
        clearTimeout(timer)
        swarm.off('message', listener)
        reject(new Error(`the wallet swarm failed: ${m.error}`))
      } else if (m.type === reply) {
        clearTimeout(timer)
        swarm.off('message', listener)
        resolve(m as T)
      }
    }
    swarm.on('message', listener)
    swarm.send(message as never)
  })
}

/** The connection monitor the measure runs with unless told otherwise. */
export const FANOUT_MONITOR: NodeHostOptions['connectionMonitor'] = {
  pingInterval: 30_000,
  pingTimeout: { minTimeout: 20_000 },
}

export async function measureFanout(options: FanoutOptions): Promise<FanoutFigures> {
  if (options.payments > HOT_COINS) throw new RangeError(`at most ${HOT_COINS} payments`)
  const monitor = options.connectionMonitor ?? FANOUT_MONITOR
  const nodes = await startCommittee(
    {
      transport: options.transport,
      committee: fanoutFx.committee,
      genesis: fanoutFx.genesis,
      book: new MemoryPeerBook(),
      ...(options.verifier === undefined ? {} : { verifier: options.verifier }),
    },
    fanoutFx.masternodes,
    (i) =>
      i === 0
        ? { wallet: { maxWallets: options.subscribers + 16 }, connectionMonitor: monitor }
        : {},
  )
  const server = nodes[0]!
  collect()
  const rssBefore = process.memoryUsage().rss
  const heapBefore = process.memoryUsage().heapUsed
  child = fork(fileURLToPath(new URL('./wallet-swarm.ts', import.meta.url)), [], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = await ask<{ subscribed: number; ms: number; retries: number }>(
    child,
    {
      type: 'start',
      address: addressesOf(server.host, options.transport)[0]!.toString(),
      transport: options.transport,
      count: options.subscribers,
      checked: options.checked,
      hot: bytesToHex(HOT),
      connectionMonitor: monitor,
    },
    'ready',
    240_000,
  )
  await until(
    () => server.wallet!.stats().wallets === options.subscribers,
    'every subscriber in',
    30_000,
  ).catch((error: unknown) => {
    const stats = server.wallet!.stats()
    const connections = server.host.getConnections().length
    throw new Error(`${String(error)} (${JSON.stringify({ ...stats, connections })})`)
  })
  collect()
  const rssAfter = process.memoryUsage().rss
  const heapAfter = process.memoryUsage().heapUsed

  // The masternode's own share: from a payment's SpentFinalized state to every push handed to the
  // transport (framed, muxed, encrypted, written) — the end of the turn that queued them, when
  // every session's flush has run.
  const pushed: number[] = []
  const stopWatching = server.engine.onNotification((n) => {
    if (n.type !== 'utxoState' || n.state.kind !== 'SpentFinalized') return
    const at = performance.now()
    setImmediate(() => pushed.push(performance.now() - at))
  })
  const raw = options.subscribers - options.checked
  type Report = { receipts: Record<string, number[]>; refused: number; checkedFinal: number }
  const report = () => ask<Report>(child!, { type: 'report' }, 'report', 10_000)
  /** Asks the swarm until `done` holds of its report, or `ms` have passed; the last report. */
  const reportWhen = async (done: (r: Report) => boolean, ms: number): Promise<Report> => {
    const deadline = performance.now() + ms
    let last = await report()
    while (!done(last) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      last = await report()
    }
    return last
  }
  // Payments one after another, each made once the previous one's pushes have all arrived (or a
  // minute has passed): each fan-out is timed alone, not queued behind the one before.
  const finalAt = new Map<string, number>()
  for (let i = 0; i < options.payments; i++) {
    const payment = hotPayment(i)
    const id = bytesToHex(payment.txid)
    await server.engine.submit(payment.tx)
    await until(() => server.finalized.has(id), `payment ${i} final`, 20_000)
    finalAt.set(id, performance.timeOrigin + server.finalized.get(id)!)
    await reportWhen((r) => (r.receipts[id]?.length ?? 0) >= raw, 60_000)
  }
  const last = await reportWhen(
    (r) =>
      [...finalAt.keys()].every((id) => (r.receipts[id]?.length ?? 0) >= raw) &&
      r.checkedFinal >= options.checked * options.payments,
    60_000,
  )
  stopWatching()
  pushed.sort((a, b) => a - b)
  const latencies: number[] = []
  for (const [id, at] of finalAt) for (const t of last.receipts[id] ?? []) latencies.push(t - at)
  latencies.sort((a, b) => a - b)
  return {
    transport: options.transport,
    subscribers: ready.subscribed,
    payments: options.payments,
    receipts: latencies.length,
    expectedReceipts: raw * options.payments,
    latencyMs: {
      p50: round(percentile(latencies, 0.5)),
      p99: round(percentile(latencies, 0.99)),
      max: round(latencies.at(-1) ?? Number.NaN),
    },
    serverPushMs: {
      p50: round(percentile(pushed, 0.5)),
      p99: round(percentile(pushed, 0.99)),
      max: round(pushed.at(-1) ?? Number.NaN),
    },
    rssPerSubscriberBytes: Math.round((rssAfter - rssBefore) / options.subscribers),
    heapPerSubscriberBytes: Math.round((heapAfter - heapBefore) / options.subscribers),
    rssBeforeBytes: rssBefore,
    rssAfterBytes: rssAfter,
    subscribeMs: Math.round(ready.ms),
    connectRetries: ready.retries,
    refused: last.refused,
    checkedFinal: last.checkedFinal,
    slowWallets: server.wallet!.stats().slowWallets,
    connectionMonitor: monitor,
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

/** Stops the swarm (asked, then killed after 20 s) and the masternodes. */
export async function stopFanout(): Promise<void> {
  const swarm = child
  child = undefined
  if (swarm !== undefined && swarm.exitCode === null && swarm.signalCode === null) {
    const exited = new Promise<void>((resolve) => swarm.once('exit', () => resolve()))
    if (swarm.connected) swarm.send({ type: 'stop' })
    const timer = setTimeout(() => swarm.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(timer)
  }
  await stopCluster()
}
