// The long run: a small, calm network producing thousands of blocks (a devnet-like short interval
// on the virtual clock) under a steady trickle of payments, sampling every honest engine's state
// sizes (FinalityEngine.stateSizes) and its disk's record counts as it goes. Bounded state means
// every one of those figures stops growing after a warm-up; `flatness` says whether they did.
// Used by the long-run test (a short variant in `npm test`) and by `npm run sim:longrun`.
import { Bucket, type EngineLimits } from '../../../src/core/index.ts'
import { type RunReport, runScenario } from './run.ts'
import { randomScenario } from './scenario.ts'
import type { SimDisk } from './sim-disk.ts'
import type { SimMasternode } from './sim-masternode.ts'
import type { SimWorld } from './world.ts'

export interface LongRunOptions {
  /** Blocks to produce (the run lasts about blocks × (intervalMs + a vote round)). */
  readonly blocks: number
  /** Time from a commit to the next height (default 1 s: devnet-like). */
  readonly intervalMs?: number
  /** Payments issued per block interval, on average (default 1). */
  readonly paymentsPerBlock?: number
  /** Voting masternodes, equal weights (default 4). */
  readonly masternodes?: number
  /** Crash and restart one masternode half way (default true): a restart loads only live state. */
  readonly crash?: boolean
  /** Samples taken over the run (default 50). */
  readonly samples?: number
  readonly seed?: number
  /** Engine bounds other than the defaults (a short run shrinks the recent-block window). */
  readonly limits?: Partial<EngineLimits>
}

/** One masternode's figures at one instant. */
export interface Sample {
  readonly at: number
  readonly node: number
  readonly height: number
  /** FinalityEngine.stateSizes(), plus the disk's record counts (`disk.*`). */
  readonly sizes: Readonly<Record<string, number>>
}

export interface LongRunResult {
  readonly report: RunReport
  readonly samples: readonly Sample[]
  readonly wallMs: number
}

/** A rough block time: the interval plus one propose/prevote/precommit round on fast links. */
const ROUND_MS = 40

/**
 * Record counts of a disk: every key, the history (blocks and committee steps, kept for ever),
 * live outputs (the coins that exist: Unspent UTXO records, which grow with every block's reward)
 * and the rest — spent outputs, mempool, certificates, decisions, block votes, metadata — which
 * is what must stay flat (`disk.bookkeeping`).
 */
export function diskCounts(disk: SimDisk): Record<string, number> {
  let keys = 0
  let history = 0
  let unspent = 0
  const byBucket = new Map<number, number>()
  for (const [hex, value] of disk.durable()) {
    keys++
    const bucket = Number.parseInt(hex.slice(0, 2), 16)
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + 1)
    if (bucket === Bucket.block || bucket === Bucket.committeeStep) history++
    // A UTXO record's state kind is its byte 32 (after value, address payload and height): 0 is Unspent.
    else if (bucket === Bucket.utxo && value[32] === 0) unspent++
  }
  const out: Record<string, number> = {
    'disk.keys': keys,
    'disk.history': history,
    'disk.unspent': unspent,
    'disk.bookkeeping': keys - history - unspent,
  }
  for (const [name, bucket] of Object.entries(Bucket))
    out[`disk.${name}`] =
      name === 'utxo' ? (byBucket.get(bucket) ?? 0) - unspent : (byBucket.get(bucket) ?? 0)
  return out
}

export async function longRun(opts: LongRunOptions): Promise<LongRunResult> {
  const intervalMs = opts.intervalMs ?? 1_000
  const n = opts.masternodes ?? 4
  const blockMs = intervalMs + ROUND_MS
  const settle = 60_000
  const duration = opts.blocks * blockMs
  const issueUntil = Math.max(1_000, duration - settle)
  const payments = Math.round((issueUntil / blockMs) * (opts.paymentsPerBlock ?? 1))
  const scenario = randomScenario(opts.seed ?? 1, {
    weights: Array<number>(n).fill(10),
    byzantine: Array<null>(n).fill(null),
    latency: { minMs: 2, maxMs: 10 },
    faults: { loss: 0, duplicate: 0, reorder: 0 },
    partition: null,
    crashes:
      (opts.crash ?? true)
        ? [{ node: 1, at: Math.round(duration / 2), downFor: 5_000, midEvent: true }]
        : [],
    wallets: 4,
    walletPeers: 2,
    payments,
    doubleSpends: 2,
    wholeCoinPayments: true,
    issueUntil,
    settle,
    unsafe: null,
    blocks: { intervalMs },
    standby: 0,
    handoffDoubleSpend: false,
    cheapRegistrations: false,
    ...(opts.limits === undefined ? {} : { limits: opts.limits }),
  })
  const samples: Sample[] = []
  const every = Math.max(1, Math.floor(duration / (opts.samples ?? 50)))
  const start = performance.now()
  const report = await runScenario(scenario, {
    maxEvents: 1_000 * opts.blocks + 3_000_000,
    honest: (nodes: readonly SimMasternode[], world: SimWorld) => {
      const scheduler = world.sim.scheduler
      const sample = () => {
        for (const m of nodes) {
          if (!m.up) continue
          const sizes = {
            ...(m.engine as { stateSizes?: () => Record<string, number> }).stateSizes?.(),
            ...diskCounts(m.disk),
          }
          samples.push({
            at: scheduler.now(),
            node: m.id,
            height: m.engine.tip?.height ?? 0,
            sizes,
          })
        }
        scheduler.after(every, sample)
      }
      scheduler.after(every, sample)
    },
  })
  return { report, samples, wallMs: performance.now() - start }
}

/**
 * Figures that must stop growing: every entry count and byte figure of the engine but the
 * UTXO set itself (`ledger.utxos`: the coins that exist, which every block's reward adds to),
 * and the disk's records but the history and the coins.
 */
export function isBounded(name: string): boolean {
  if (name === 'ledger.utxos') return false
  if (!name.startsWith('disk.')) return true
  return ![
    'disk.keys',
    'disk.history',
    'disk.unspent',
    'disk.block',
    'disk.committeeStep',
  ].includes(name)
}

export interface Growth {
  readonly name: string
  readonly node: number
  /** The largest value between the warm-up and the middle of the run. */
  readonly plateau: number
  /** The largest value in the second half. */
  readonly late: number
}

/** Whether a figure counts bytes rather than entries. */
function isBytes(name: string): boolean {
  return /bytes$/i.test(name)
}

/**
 * The bounded figures of each node that grew after the warm-up: the largest value in the second
 * half of the run above `factor` × the largest between the warm-up and the middle, plus a slack
 * of `slack` entries, or `slackBytes` for a byte figure (a handful of payments in flight more or
 * less is noise; a figure growing with the run is not).
 */
export function growth(
  samples: readonly Sample[],
  warmupBlocks: number,
  factor = 1.25,
  slack = 8,
  slackBytes = 8 * 1024,
): Growth[] {
  const top = Math.max(...samples.map((s) => s.height))
  const half = Math.max(warmupBlocks, top / 2)
  const out: Growth[] = []
  for (const node of new Set(samples.map((s) => s.node))) {
    const mine = samples.filter((s) => s.node === node)
    const names = new Set(mine.flatMap((s) => Object.keys(s.sizes)))
    for (const name of names) {
      if (!isBounded(name)) continue
      const max = (from: number, to: number) =>
        Math.max(
          0,
          ...mine.filter((s) => s.height > from && s.height <= to).map((s) => s.sizes[name] ?? 0),
        )
      const plateau = max(warmupBlocks, half)
      const late = max(half, top)
      if (late > factor * plateau + (isBytes(name) ? slackBytes : slack))
        out.push({ name, node, plateau, late })
    }
  }
  return out
}

/** The largest value of each figure over the run after the warm-up, over all nodes. */
export function peaks(samples: readonly Sample[], warmupBlocks: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of samples) {
    if (s.height <= warmupBlocks) continue
    for (const [name, value] of Object.entries(s.sizes)) out[name] = Math.max(out[name] ?? 0, value)
  }
  return out
}
