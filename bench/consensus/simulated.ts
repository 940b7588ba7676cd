// The simulated halves of `npm run bench:consensus`: finality latency of a 100-masternode network
// in virtual time (Azure region RTTs, or uniform links), and how many signatures a finalized
// transaction costs with vote batching on and off. Both run the real FinalityEngine inside the
// deterministic simulator (test/sim/consensus), so every figure replays from its seed.
import {
  type Message,
  messageBundle,
  type Transaction,
  type VoteBatch,
} from '../../src/core/index.ts'
import { runScenario } from '../../test/sim/consensus/run.ts'
import type { Scenario } from '../../test/sim/consensus/scenario.ts'
import type { SimWorld } from '../../test/sim/consensus/world.ts'
import type { NetEvent } from '../../test/sim/network.ts'
import type { MsRange } from '../../test/sim/regions.ts'

const round = (x: number, digits = 0) => Number(x.toFixed(digits))

/** Nearest-rank quantile of an ascending array. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function quietScenario(seed: string, overrides: Partial<Scenario> & { nodes: number }): Scenario {
  const { nodes, ...rest } = overrides
  return {
    seed,
    weights: Array<number>(nodes).fill(10),
    byzantine: Array<null>(nodes).fill(null),
    latency: 'regions',
    faults: { loss: 0, duplicate: 0, reorder: 0 },
    partition: null,
    crashes: [],
    wallets: 25,
    walletPeers: 1,
    payments: 80,
    doubleSpends: 0,
    issueUntil: 30_000,
    settle: 20_000,
    unsafe: null,
    blocks: null,
    standby: 0,
    handoffDoubleSpend: false,
    cheapRegistrations: false,
    ...rest,
  }
}

function assertClean(
  label: string,
  r: { violations: readonly string[]; liveness: readonly string[] },
) {
  const problems = [...r.violations, ...r.liveness]
  if (problems.length > 0)
    throw new Error(`${label}: ${problems.length} problems, first: ${problems[0]}`)
}

// ── 1. finality latency, 100 masternodes ───────────────────────────────────────────────────────

export interface LatencyCase {
  readonly label: string
  readonly latency: 'regions' | MsRange
  readonly access?: MsRange
  readonly seeds: readonly string[]
}

export async function finalityLatency(c: LatencyCase, nodes = 100, payments = 80) {
  const started = performance.now()
  const samples: number[] = []
  const rtts: number[] = []
  let issued = 0
  let finalizedEverywhere = 0
  let messages = 0
  const regionsUsed = new Set<string>()
  const runs = []
  for (const seed of c.seeds) {
    let world: SimWorld | undefined
    const r = await runScenario(
      quietScenario(seed, { nodes, latency: c.latency, payments, wallets: 25 }),
      {
        ...(c.access === undefined ? {} : { access: c.access }),
        setup: (w) => {
          world = w
        },
      },
    )
    assertClean(`${c.label} seed ${seed}`, r)
    const w = world!
    // RTT of the link i–j without jitter: base(i→j) + base(j→i). With 'regions' that is
    // regionRTT(r_i, r_j) + 2·access_i + 2·access_j (one way: regionRTT/2 + access_i + access_j).
    const runRtts: number[] = []
    for (let i = 0; i < nodes; i++) {
      for (let j = i + 1; j < nodes; j++) {
        runRtts.push(w.sim.latency.base(i, j) + w.sim.latency.base(j, i))
      }
    }
    for (const p of w.sim.placement?.slice(0, nodes) ?? []) regionsUsed.add(p.region)
    runRtts.sort((a, b) => a - b)
    rtts.push(...runRtts)
    const sorted = [...r.latencies].sort((a, b) => a - b)
    samples.push(...sorted)
    issued += r.issued
    messages += r.messages
    const everywhere = [...w.oracle.finalized.values()].filter(
      (at) => [...at.keys()].filter((k) => k.startsWith('mn')).length === nodes,
    ).length
    finalizedEverywhere += everywhere
    runs.push({
      seed,
      issued: r.issued,
      finalizedAtAllMasternodes: everywhere,
      finalityP50Ms: round(quantile(sorted, 0.5), 1),
      medianRttMs: round(median(runRtts), 1),
    })
  }
  samples.sort((a, b) => a - b)
  rtts.sort((a, b) => a - b)
  const p50 = quantile(samples, 0.5)
  const medianRtt = median(rtts)
  return {
    label: c.label,
    masternodes: nodes,
    weights: 'equal (10 each)',
    latencyModel:
      c.latency === 'regions'
        ? {
            kind: 'Azure regions (Microsoft Azure network round-trip latency statistics, CC BY 4.0)',
            regions: regionsUsed.size,
            placement:
              'round-robin over the shuffled usable regions (test/sim/regions.ts placeNodes)',
            accessOneWayMs: c.access ?? 'simulator default 1–10',
            oneWayMs:
              'regionRTT(a,b)/2 + access_a + access_b, plus exponential jitter (mean 10% of that)',
          }
        : {
            kind: 'uniform links',
            oneWayBaseMs: `${c.latency.minMs}–${c.latency.maxMs}, drawn once per pair`,
            linkRttMs: `${2 * c.latency.minMs}–${2 * c.latency.maxMs}`,
            jitter: 'exponential, mean 10% of the base, per message',
          },
    diskSyncMs: '0.2–2 (simulator default)',
    seeds: c.seeds,
    payments: {
      issued,
      finalizedAtAllMasternodes: finalizedEverywhere,
      wallets: 25,
      walletPeers: 1,
    },
    finalityMs: {
      definition:
        'first arrival of the transaction at any masternode → finalized at each honest masternode (one sample per tx and masternode), simulated ms',
      samples: samples.length,
      p50: round(p50, 1),
      p90: round(quantile(samples, 0.9), 1),
      p99: round(quantile(samples, 0.99), 1),
      max: round(samples.at(-1) ?? Number.NaN, 1),
    },
    linkRttMs: {
      definition:
        'per masternode pair i<j: base(i→j) + base(j→i), jitter excluded; with regions = regionRTT + 2·access_i + 2·access_j',
      pairs: rtts.length,
      p10: round(quantile(rtts, 0.1), 1),
      median: round(medianRtt, 1),
      p90: round(quantile(rtts, 0.9), 1),
    },
    p50OverMedianRtt: round(p50 / medianRtt, 3),
    target: 'p50 ≤ 1.5 × median link RTT (Dash InstantSend median: 1.83 s)',
    messagesPerFinalizedTx: round(messages / Math.max(1, finalizedEverywhere)),
    runs,
    wallMs: Math.round(performance.now() - started),
  }
}

// ── 2. signatures per finalized transaction, batching on and off ───────────────────────────────

/** Signature checks a message carries — what `messageBundle(message).checks` holds. */
function checksIn(
  m: Message,
  genesisHash: Uint8Array,
): { count: number; signatures: Uint8Array[] } {
  switch (m.type) {
    case 'InstantFinalityVote':
      return { count: 1, signatures: [m.batch.signature] }
    case 'TransactionBroadcast':
    case 'InstantFinalityRequest':
      return { count: m.tx.inputs.length, signatures: m.tx.inputs.map((i) => i.signature) }
    case 'FinalityCertificate': {
      const sigs = [
        ...m.tx.inputs.map((i) => i.signature),
        ...m.certificate.entries.map((e) => e.signature),
      ]
      return { count: sigs.length, signatures: sigs }
    }
    case 'TransactionRequest':
      return { count: 0, signatures: [] }
    default: {
      const checks = messageBundle(m, genesisHash).checks
      return { count: checks.length, signatures: checks.map((c) => c.signature) }
    }
  }
}

export interface BatchingCase {
  readonly label: string
  readonly diskSyncMs: MsRange
}

export async function signaturesPerTx(
  c: BatchingCase,
  opts: { nodes: number; wallets: number; payments: number; issueUntil: number; seed: string },
) {
  const started = performance.now()
  const n = opts.nodes
  const batches = new Set<VoteBatch>()
  const txs = new Set<Transaction>()
  let mnChecks = 0
  let walletChecks = 0
  /** Per receiving node: signatures (hex) it has seen, i.e. a per-node verdict cache. */
  const seenBy = new Map<number, Set<string>>()
  let mnDistinct = 0
  let walletDistinct = 0
  const everywhere = new Set<string>()
  const mnDeliveries: Record<string, number> = {}
  const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
  const trace = (e: NetEvent<Message>) => {
    if (e.kind === 'send' && e.from < n && e.msg.type === 'InstantFinalityVote')
      batches.add(e.msg.batch)
    if (e.kind !== 'deliver') return
    const m = e.msg
    const toWallet = e.to >= n
    // Wallets check only votes and certificates; masternodes pre-verify everything.
    if (toWallet && m.type !== 'InstantFinalityVote' && m.type !== 'FinalityCertificate') return
    const { count, signatures } = checksIn(m, world!.genesisHash)
    if (m.type === 'TransactionBroadcast' || m.type === 'InstantFinalityRequest') txs.add(m.tx)
    if (toWallet) walletChecks += count
    else {
      mnChecks += count
      mnDeliveries[m.type] = (mnDeliveries[m.type] ?? 0) + 1
    }
    const seen = seenBy.get(e.to) ?? new Set<string>()
    seenBy.set(e.to, seen)
    for (const s of signatures) {
      const id = hex(s)
      everywhere.add(id)
      if (seen.has(id)) continue
      seen.add(id)
      if (toWallet) walletDistinct++
      else mnDistinct++
    }
  }
  let world: SimWorld | undefined
  const r = await runScenario(
    quietScenario(opts.seed, {
      nodes: n,
      latency: { minMs: 5, maxMs: 25 },
      wallets: opts.wallets,
      payments: opts.payments,
      issueUntil: opts.issueUntil,
      settle: 10_000,
    }),
    {
      trace,
      diskSyncMs: c.diskSyncMs,
      setup: (w) => {
        world = w
      },
    },
  )
  assertClean(c.label, r)
  const finalized = [...world!.oracle.finalized.values()].filter(
    (at) => [...at.keys()].filter((k) => k.startsWith('mn')).length === n,
  ).length
  let leaves = 0
  let txLeaves = 0
  for (const b of batches) {
    leaves += b.leaves.length
    txLeaves += b.leaves.filter((l) => l.kind === 'txAccept' || l.kind === 'txReject').length
  }
  const txSignatures = [...txs].reduce((a, t) => a + t.inputs.length, 0)
  const per = (x: number) => round(x / finalized, 2)
  const lat = [...r.latencies].sort((a, b) => a - b)
  return {
    label: c.label,
    diskSyncMs: `${c.diskSyncMs.minMs}–${c.diskSyncMs.maxMs} per durable write`,
    issued: r.issued,
    finalizedAtAllMasternodes: finalized,
    offeredTxPerSimSecond: round((opts.payments * 1000) / opts.issueUntil),
    voteBatches: batches.size,
    leavesPerBatch: round(leaves / batches.size, 2),
    txLeavesPerBatch: round(txLeaves / batches.size, 2),
    signedPerFinalizedTx: {
      voteBatchesAllMasternodes: per(batches.size),
      voteBatchesPerMasternode: per(batches.size / n),
      walletTxSignatures: per(txSignatures),
    },
    verifiedPerFinalizedTx: {
      masternodesNoCache: per(mnChecks),
      masternodesPerNodeCache: per(mnDistinct),
      masternodesNoCachePerNode: per(mnChecks / n),
      masternodesPerNodeCachePerNode: per(mnDistinct / n),
      walletsNoCache: per(walletChecks),
      walletsPerNodeCache: per(walletDistinct),
      processWideDistinct: per(everywhere.size),
    },
    messagesDeliveredToMasternodesPerFinalizedTx: Object.fromEntries(
      Object.entries(mnDeliveries).map(([k, v]) => [k, per(v)]),
    ),
    finalityMs: { p50: round(quantile(lat, 0.5), 1), p99: round(quantile(lat, 0.99), 1) },
    wallMs: Math.round(performance.now() - started),
  }
}
