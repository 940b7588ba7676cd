// Throughput of N masternodes in this process, each on a worker thread of its own
// (masternode-thread.ts) as N masternode processes would share the machine's cores, joined by
// MessagePorts (a zero-latency network whose messages are structured clones). The driver thread
// only plays the wallets: it keeps a window of signed payments in flight, each sent to one
// masternode, and stops the clock when every payment is final at every masternode.
import { performance } from 'node:perf_hooks'
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads'
import {
  bytesToHex,
  type CommitteeMember,
  computeTxid,
  getPublicKey,
  type PeerId,
  sha256,
  utf8ToBytes,
} from '../../src/core/index.ts'
import { GENESIS_HASH, GENESIS_TXID } from '../../test/support/ledger-fixture.ts'
import type { FromMasternode, MasternodeInit, ToMasternode } from './masternode-thread.ts'
import type { prepareTransactions } from './throughput.ts'

const round = (x: number, digits = 0) => Number(x.toFixed(digits))

export interface ThreadedOptions {
  readonly masternodes: number
  readonly transactions: number
  /** Payments submitted but not yet final everywhere, at most. */
  readonly window: number
  readonly verdictCache: boolean
  readonly timeoutMs: number
}

export async function threadedThroughput(
  prepared: ReturnType<typeof prepareTransactions>,
  opts: ThreadedOptions,
) {
  const { outputs, txs } = prepared
  const total = Math.min(opts.transactions, txs.length)
  const keys = Array.from({ length: opts.masternodes }, (_, i) => {
    const secretKey = sha256(utf8ToBytes(`bench masternode ${i}`))
    return { secretKey, publicKey: getPublicKey(secretKey) }
  })
  const ids = keys.map((k) => bytesToHex(k.publicKey))
  const members: CommitteeMember[] = keys.map((k) => ({ key: k.publicKey, weight: 10 }))
  // One channel per pair of masternodes.
  const ports: Record<PeerId, MessagePort>[] = ids.map(() => ({}))
  for (let a = 0; a < ids.length; a++)
    for (let b = a + 1; b < ids.length; b++) {
      const { port1, port2 } = new MessageChannel()
      ports[a]![ids[b]!] = port1
      ports[b]![ids[a]!] = port2
    }
  const url = new URL(
    `./masternode-thread.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`,
    import.meta.url,
  )
  const workers = keys.map((key, index) => {
    const init: MasternodeInit = {
      index,
      key,
      members,
      genesisHash: GENESIS_HASH,
      genesis: { txid: GENESIS_TXID, outputs },
      peers: ports[index]!,
      verdictCache: opts.verdictCache,
    }
    return new Worker(url, { workerData: init, transferList: Object.values(ports[index]!) })
  })

  const finalAt = new Map<string, number>()
  const submittedAt = new Map<string, number>()
  const latencies: number[] = []
  let done = 0
  let submitted = 0
  let resolveDone: () => void = () => {}
  const allDone = new Promise<void>((r) => {
    resolveDone = r
  })
  const send = (i: number, m: ToMasternode) => workers[i]!.postMessage(m)

  function submitNext(): void {
    if (submitted >= total) return
    const i = submitted++
    const tx = txs[i]!
    submittedAt.set(bytesToHex(computeTxid(tx)), performance.now())
    // One wallet per payment, talking to one masternode (round-robin).
    send(i % workers.length, {
      type: 'deliver',
      from: `wallet-${i % 64}`,
      message: { type: 'TransactionBroadcast', tx },
    })
  }

  const ready = workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        w.once('error', reject)
        w.on('message', (m: FromMasternode) => {
          if (m.type === 'ready') return resolve()
          if (m.type !== 'finalized') return
          const count = (finalAt.get(m.txid) ?? 0) + 1
          finalAt.set(m.txid, count)
          if (count !== workers.length) return
          latencies.push(performance.now() - (submittedAt.get(m.txid) ?? Number.NaN))
          done++
          if (done === total) resolveDone()
          else submitNext()
        })
      }),
  )
  await Promise.all(ready)

  const cpuStart = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < Math.min(opts.window, total); i++) submitNext()
  let timedOut = false
  await Promise.race([
    allDone,
    new Promise<void>((r) =>
      setTimeout(() => {
        timedOut = true
        r()
      }, opts.timeoutMs).unref(),
    ),
  ])
  const wallMs = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)

  const stats = await Promise.all(
    workers.map(
      (w, i) =>
        new Promise<Extract<FromMasternode, { type: 'stats' }>>((resolve) => {
          w.on('message', (m: FromMasternode) => {
            if (m.type === 'stats') resolve(m)
          })
          send(i, { type: 'stop' })
        }),
    ),
  )
  await Promise.all(workers.map((w) => w.terminate()))

  const sum = (f: (s: (typeof stats)[number]) => number) => stats.reduce((a, s) => a + f(s), 0)
  const delivered: Record<string, number> = {}
  for (const s of stats)
    for (const [k, v] of Object.entries(s.delivered)) delivered[k] = (delivered[k] ?? 0) + v
  latencies.sort((a, b) => a - b)
  const q = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? 0, 1)
  const per = (x: number) => round(x / Math.max(1, done), 2)
  return {
    masternodes: opts.masternodes,
    threads: 'one worker thread per masternode',
    transactions: total,
    finalizedAtAllMasternodes: done,
    timedOut,
    window: opts.window,
    verdictCache: opts.verdictCache,
    wallMs: Math.round(wallMs),
    finalizedTxPerSec: Math.round((done * 1000) / wallMs),
    cpuSecondsPerSecond: round((cpu.user + cpu.system) / 1000 / wallMs, 2),
    submitToFinalEverywhereMs: { p50: q(0.5), p99: q(0.99) },
    voteBatches: sum((s) => s.batches),
    leavesPerBatch: round(
      sum((s) => s.leaves) /
        Math.max(
          1,
          sum((s) => s.batches),
        ),
      1,
    ),
    perFinalizedTx: {
      signatureVerifications: per(sum((s) => s.verified)),
      verdictCacheHits: per(sum((s) => s.cacheHits)),
      voteSignatures: per(sum((s) => s.batches)),
      deliveredMessages: Object.fromEntries(Object.entries(delivered).map(([k, v]) => [k, per(v)])),
      messagesToWallets: per(sum((s) => s.toWallets)),
    },
    rejectedMessages: sum((s) => s.rejected),
    engineErrors: sum((s) => s.errors),
  }
}
