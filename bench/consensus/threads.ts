import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads'
import {
  bytesToHex,
  type CommitteeMember,
  encodeMessage,
  type PeerId,
} from '../../src/core/index.ts'
import { GENESIS_HASH, GENESIS_TXID } from '../../test/support/ledger-fixture.ts'
import type { FromMasternode, MasternodeInit, ToMasternode } from './masternode-thread.ts'
import { masternodeKeys, PaymentWindow } from './payment-window.ts'
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
  const { outputs } = prepared
  const txs = prepared.txs.slice(0, opts.transactions)
  const keys = masternodeKeys(opts.masternodes)
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
      key,
      members,
      genesisHash: GENESIS_HASH,
      genesis: { txid: GENESIS_TXID, outputs },
      peers: ports[index]!,
      verdictCache: opts.verdictCache,
    }
    return new Worker(url, { workerData: init, transferList: Object.values(ports[index]!) })
  })

  const send = (i: number, m: ToMasternode) => workers[i]!.postMessage(m)
  // One wallet per payment, talking to one masternode (round-robin).
  const payments = new PaymentWindow(txs, workers.length, (i, tx) =>
    send(i % workers.length, {
      type: 'deliver',
      from: `wallet-${i % 64}`,
      message: encodeMessage({ type: 'TransactionBroadcast', tx }),
    }),
  )

  const ready = workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        w.once('error', reject)
        w.on('message', (m: FromMasternode) => {
          if (m.type === 'ready') return resolve()
          if (m.type === 'finalized') payments.finalized(m.txid)
        })
      }),
  )
  await Promise.all(ready)

  const timing = await payments.run(opts.window, opts.timeoutMs)

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
  const per = (x: number) => payments.per(x)
  return {
    threads: 'one worker thread per masternode',
    ...payments.summary(timing, opts),
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
