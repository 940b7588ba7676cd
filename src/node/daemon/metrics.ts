/**
 * The node's Prometheus metrics (`prom-client`), served at `/metrics` on `metricsbind:metricsport`
 * (127.0.0.1 unless configured). Names carry the `timecoin_` prefix and base units (seconds,
 * bytes, `_total` counters): finality latency of the payments submitted here, finalized
 * transactions, committed blocks and the height, consensus messages sent and received, peers by
 * role, committee links up, bans, mempool, live outputs, the store's size on disk, and Node's own
 * (CPU, memory, event-loop lag); docs/grafana/timecoin-dashboard.json charts them. Invariants:
 * reading metrics changes nothing in the node (counters are read from the services' own stats
 * when scraped); the latency map holds at most MAX_TIMED submissions.
 */
import { readdir, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Notification } from '../../core/engine/runtime.ts'
import type { Transaction } from '../../core/primitives/transaction.ts'
import { computeTxid } from '../../core/primitives/transaction.ts'
import { txidToHex } from '../../core/primitives/txid.ts'
import type { BoundAddress } from '../rpc/server.ts'
import type { AssembledNode } from './assemble.ts'

export const METRICS_PREFIX = 'timecoin_'
/** Submissions timed at once; past it the oldest is forgotten (it then goes untimed). */
export const MAX_TIMED = 8_192

export interface NodeMetrics {
  readonly registry: Registry
  /** A transaction this node was handed (RPC): its finality here is timed. */
  submitted(tx: Transaction): void
  /** Every runtime notification. */
  observe(notification: Notification): void
}

/** A counter whose value is read from a service's stats at each scrape. */
function statCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name: `${METRICS_PREFIX}${name}`,
    help,
    registers: [registry],
    collect() {
      this.reset()
      this.inc(read())
    },
  })
}

function statGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name: `${METRICS_PREFIX}${name}`,
    help,
    registers: [registry],
    collect() {
      this.set(read())
    },
  })
}

/** Bytes of the files in `dir` (LevelDB's folder is flat); files that vanish meanwhile count 0. */
async function folderBytes(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[])
  const sizes = await Promise.all(
    names.map((n) =>
      stat(join(dir, n)).then(
        (s) => (s.isFile() ? s.size : 0),
        () => 0,
      ),
    ),
  )
  return sizes.reduce((a, b) => a + b, 0)
}

export interface NodeMetricsOptions {
  /** The store's folder, measured at each scrape (`timecoin_store_bytes`); none: not exported. */
  readonly storeDir?: string
}

export function nodeMetrics(node: AssembledNode, options: NodeMetricsOptions = {}): NodeMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX })
  const { host, engine, service } = node
  const finality = new Histogram({
    name: `${METRICS_PREFIX}finality_seconds`,
    help: 'seconds from a transaction handed to this node to its finality here',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    registers: [registry],
  })
  const finalized = new Counter({
    name: `${METRICS_PREFIX}finalized_transactions_total`,
    help: 'transactions this node saw become final',
    registers: [registry],
  })
  const blocks = new Counter({
    name: `${METRICS_PREFIX}blocks_committed_total`,
    help: 'blocks this node committed',
    registers: [registry],
  })
  statGauge(registry, 'chain_height', 'height of the chain tip', () => engine.tip?.height ?? 0)
  statCounter(
    registry,
    'consensus_messages_sent_total',
    'consensus messages sent (votes, requests, proposals)',
    () => service.stats().sent,
  )
  statCounter(
    registry,
    'consensus_frames_received_total',
    'consensus frames received from committee links',
    () => service.stats().framesIn,
  )
  statCounter(
    registry,
    'votes_sent_total',
    'vote batches sent over committee links (each addressee counts)',
    () => service.stats().votesSent,
  )
  statCounter(
    registry,
    'votes_received_total',
    'vote batches received on committee links',
    () => service.stats().votesReceived,
  )
  statCounter(
    registry,
    'certificates_received_total',
    'finality certificates received on committee links (those assembled here: finalized_transactions_total)',
    () => service.stats().certificatesReceived,
  )
  new Gauge({
    name: `${METRICS_PREFIX}peers`,
    help: 'handshaken peers by role',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      const counts: Record<string, number> = { masternode: 0, 'full-node': 0, 'light-client': 0 }
      for (const p of host.services.handshake.peers()) counts[p.role] = (counts[p.role] ?? 0) + 1
      for (const [role, n] of Object.entries(counts)) this.set({ role }, n)
    },
  })
  statGauge(
    registry,
    'committee_links_connected',
    'committee links up',
    () => host.services.committeeLinks?.stats().connected ?? 0,
  )
  statCounter(
    registry,
    'bans_total',
    'peers banned',
    () => host.services.defence?.stats().bans ?? 0,
  )
  statGauge(registry, 'mempool_transactions', 'transactions in the mempool', () => {
    return engine.ledger.mempool.count
  })
  statGauge(registry, 'mempool_bytes', 'bytes of the transactions in the mempool', () => {
    return engine.ledger.mempool.bytes
  })
  statGauge(registry, 'utxos', 'live outputs', () => engine.ledger.summary().count)
  const { storeDir } = options
  if (storeDir !== undefined)
    new Gauge({
      name: `${METRICS_PREFIX}store_bytes`,
      help: 'bytes of the store (LevelDB) on disk',
      registers: [registry],
      async collect() {
        this.set(await folderBytes(storeDir))
      },
    })

  const timed = new Map<string, number>()
  return {
    registry,
    submitted(tx) {
      const id = txidToHex(computeTxid(tx))
      if (timed.size >= MAX_TIMED) timed.delete(timed.keys().next().value!)
      timed.set(id, performance.now())
    },
    observe(n) {
      if (n.type === 'finalized') {
        finalized.inc()
        const id = txidToHex(n.txid)
        const at = timed.get(id)
        if (at !== undefined) {
          timed.delete(id)
          finality.observe((performance.now() - at) / 1000)
        }
      } else if (n.type === 'committed') blocks.inc()
    },
  }
}

export interface MetricsServer {
  readonly addresses: readonly BoundAddress[]
  /** `http://host:port/metrics`. */
  readonly url: string
  close(): Promise<void>
}

/** Serves `registry` at GET /metrics on `host:port` (0 picks a free port). */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host: string,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'Content-Length': '0' })
      res.end()
      return
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType })
        res.end(text)
      },
      () => {
        res.writeHead(500, { 'Content-Length': '0' })
        res.end()
      },
    )
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.maxConnections = 16
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const a = server.address()
  if (a === null || typeof a === 'string') throw new Error('metrics server: no TCP address')
  const address: BoundAddress = { address: a.address, family: a.family, port: a.port }
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address
  let closed: Promise<void> | undefined
  return {
    addresses: [address],
    url: `http://${shown}:${a.port}/metrics`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closed
    },
  }
}
