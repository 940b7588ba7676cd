// The wallets' side of a throughput run, shared by the single-thread and the threaded benches: a
// window of signed payments in flight (each sent to one masternode, round-robin), each final once
// every masternode has reported it, the clock and CPU from the first submission to the last
// finality, and each payment's submit-to-final-everywhere latency.
import { performance } from 'node:perf_hooks'
import {
  bytesToHex,
  computeTxid,
  getPublicKey,
  type KeyPair,
  sha256,
  type Transaction,
  utf8ToBytes,
} from '../../src/core/index.ts'

const round = (x: number, digits = 0) => Number(x.toFixed(digits))

/** The bench's masternode keys (the same in every run). */
export function masternodeKeys(count: number): KeyPair[] {
  return Array.from({ length: count }, (_, i) => {
    const secretKey = sha256(utf8ToBytes(`bench masternode ${i}`))
    return { secretKey, publicKey: getPublicKey(secretKey) }
  })
}

export class PaymentWindow {
  readonly #txs: readonly Transaction[]
  readonly #masternodes: number
  readonly #send: (index: number, tx: Transaction) => void
  readonly #keyOf: (txid: Uint8Array) => string
  readonly #finalAt = new Map<string, number>()
  readonly #submittedAt = new Map<string, number>()
  readonly #latencies: number[] = []
  #done = 0
  #submitted = 0
  #allDone: () => void = () => {}

  /**
   * `send(i, tx)` hands payment i to its masternode; `keyOf` names a payment by its txid, as
   * `finalized` is told it (hex by default; a cheaper key where the bench reports raw txids, so
   * the harness's own bookkeeping costs the engine's thread less).
   */
  constructor(
    txs: readonly Transaction[],
    masternodes: number,
    send: (index: number, tx: Transaction) => void,
    keyOf: (txid: Uint8Array) => string = bytesToHex,
  ) {
    this.#txs = txs
    this.#masternodes = masternodes
    this.#send = send
    this.#keyOf = keyOf
  }

  get done(): number {
    return this.#done
  }

  /** A masternode finalized the payment `keyOf(txid)`; it is done once all have. */
  finalized(txid: string): void {
    const count = (this.#finalAt.get(txid) ?? 0) + 1
    this.#finalAt.set(txid, count)
    if (count !== this.#masternodes) return
    this.#finalAt.delete(txid)
    this.#latencies.push(performance.now() - (this.#submittedAt.get(txid) ?? Number.NaN))
    this.#submittedAt.delete(txid)
    this.#done++
    if (this.#done === this.#txs.length) this.#allDone()
    else this.#submitNext()
  }

  /** Runs until every payment is final everywhere or `timeoutMs` passes. */
  async run(window: number, timeoutMs: number) {
    const finished = new Promise<void>((resolve) => {
      this.#allDone = resolve
    })
    const cpuStart = process.cpuUsage()
    const threadStart = process.threadCpuUsage()
    const elu = performance.eventLoopUtilization()
    const start = performance.now()
    for (let i = 0; i < Math.min(window, this.#txs.length); i++) this.#submitNext()
    let timedOut = false
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      finished,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true
          resolve()
        }, timeoutMs)
      }),
    ])
    clearTimeout(timer)
    const wallMs = performance.now() - start
    const cpu = process.cpuUsage(cpuStart)
    const thread = process.threadCpuUsage(threadStart)
    return {
      timedOut,
      wallMs,
      finalizedTxPerSec: Math.round((this.#done * 1000) / wallMs),
      cpuSecondsPerSecond: round((cpu.user + cpu.system) / 1000 / wallMs, 2),
      mainThreadBusy: round(performance.eventLoopUtilization(elu).utilization, 2),
      // CPU time, not wall time: steady on a shared machine where the wall-clock figures are not.
      mainThreadCpuMicrosPerTx: round((thread.user + thread.system) / Math.max(1, this.#done), 1),
    }
  }

  /** Submit-to-final-everywhere latency quantiles, in ms. */
  latencies(): { readonly p50: number; readonly p99: number } {
    const sorted = [...this.#latencies].sort((a, b) => a - b)
    const q = (p: number) =>
      round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0, 1)
    return { p50: q(0.5), p99: q(0.99) }
  }

  /** The figures every throughput report shares, from `run`'s timing. */
  summary(
    timing: Awaited<ReturnType<PaymentWindow['run']>>,
    opts: { readonly masternodes: number; readonly window: number; readonly verdictCache: boolean },
  ) {
    return {
      masternodes: opts.masternodes,
      transactions: this.#txs.length,
      finalizedAtAllMasternodes: this.#done,
      timedOut: timing.timedOut,
      window: opts.window,
      verdictCache: opts.verdictCache,
      wallMs: Math.round(timing.wallMs),
      finalizedTxPerSec: timing.finalizedTxPerSec,
      cpuSecondsPerSecond: timing.cpuSecondsPerSecond,
      mainThreadCpuMicrosPerTx: timing.mainThreadCpuMicrosPerTx,
      submitToFinalEverywhereMs: this.latencies(),
    }
  }

  /** `x` per finalized payment. */
  per(x: number): number {
    return round(x / Math.max(1, this.#done), 2)
  }

  #submitNext(): void {
    if (this.#submitted >= this.#txs.length) return
    const i = this.#submitted++
    const tx = this.#txs[i]!
    this.#submittedAt.set(this.#keyOf(computeTxid(tx)), performance.now())
    this.#send(i, tx)
  }
}
