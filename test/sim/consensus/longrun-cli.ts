// `npm run sim:longrun [-- --blocks 5000 --seed 1]`: the long run at the default bounds — a
// devnet-like chain producing thousands of blocks under steady payments — printing, as JSON,
// each bounded figure of the engine and its store after the warm-up (the recent-block window
// full), its peak and its last value, the figures that grew, and the oracle's verdict. Exits 1
// on a violation, a liveness failure or a figure that grew.
import { parseArgs } from 'node:util'
import { DEFAULT_LIMITS } from '../../../src/core/index.ts'
import { growth, isBounded, longRun } from './longrun.ts'

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '1' },
    payments: { type: 'string', default: '1' },
  },
})
const blocks = Number(values.blocks)
const warmup = Math.max(blocks / 5, DEFAULT_LIMITS.recentBlocks, DEFAULT_LIMITS.spentOutputDepth)
const cpu = process.cpuUsage()
const { report, samples, wallMs } = await longRun({
  blocks,
  seed: Number(values.seed),
  paymentsPerBlock: Number(values.payments),
  samples: 100,
})
const used = process.cpuUsage(cpu)
const grew = growth(samples, warmup)
const figures: Record<string, { afterWarmup: number; peak: number; last: number }> = {}
const node = samples[0]?.node
const mine = samples.filter((s) => s.node === node && s.height > warmup)
for (const name of Object.keys(mine[0]?.sizes ?? {})) {
  if (!isBounded(name)) continue
  const series = mine.map((s) => s.sizes[name] ?? 0)
  figures[name] = { afterWarmup: series[0]!, peak: Math.max(...series), last: series.at(-1)! }
}
const last = mine.at(-1)?.sizes ?? {}
process.stdout.write(
  `${JSON.stringify(
    {
      blocks: report.blocks,
      simulatedMs: report.simulatedMs,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((used.user + used.system) / 1_000),
      warmupBlocks: warmup,
      payments: { issued: report.issued, finalized: report.finalizedAtWallets },
      crashes: report.crashes,
      violations: report.violations,
      liveness: report.liveness,
      grew,
      node,
      figures,
      unbounded: {
        'ledger.utxos': last['ledger.utxos'],
        'disk.keys': last['disk.keys'],
        'disk.history': last['disk.history'],
        'disk.unspent': last['disk.unspent'],
      },
    },
    null,
    2,
  )}\n`,
)
process.exitCode = report.violations.length + report.liveness.length + grew.length > 0 ? 1 : 0
