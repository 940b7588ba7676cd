// Runs many seeded scenarios and folds their reports into one summary. A run with a safety
// violation or a liveness failure is listed by seed, so `SIM_SEED=<seed> npm run sim` replays it.

import { type RunReport, runScenario } from './run.ts'
import { randomScenario, type Scenario } from './scenario.ts'

export interface CampaignSummary {
  runs: number
  violations: number
  violatingSeeds: string[]
  livenessFailures: number
  livenessSeeds: string[]
  byzantineRuns: number
  /** Committee changes honest nodes went through, over all runs. */
  committeeChanges: number
  /** Equivocators reported in slashing transactions. */
  slashings: number
  partitions: number
  crashes: number
  issued: number
  finalized: number
  conflicting: number
  chained: number
  /** Blocks committed (highest honest height, summed over runs). */
  blocks: number
  committeeSizes: Record<string, number>
  finalityMs: { p50: number; p90: number; p99: number; samples: number }
  messages: number
  signatures: number
  wallMs: number
}

export function emptySummary(): CampaignSummary {
  return {
    runs: 0,
    violations: 0,
    violatingSeeds: [],
    livenessFailures: 0,
    livenessSeeds: [],
    byzantineRuns: 0,
    committeeChanges: 0,
    slashings: 0,
    partitions: 0,
    crashes: 0,
    issued: 0,
    finalized: 0,
    conflicting: 0,
    chained: 0,
    blocks: 0,
    committeeSizes: {},
    finalityMs: { p50: 0, p90: 0, p99: 0, samples: 0 },
    messages: 0,
    signatures: 0,
    wallMs: 0,
  }
}

/** Adds one run to `summary`; latencies are collected separately (see `finish`). */
export function addRun(
  summary: CampaignSummary,
  s: Scenario,
  r: RunReport,
  latencies: number[],
): void {
  summary.runs++
  if (r.violations.length > 0) {
    summary.violations++
    summary.violatingSeeds.push(r.seed)
  }
  if (r.liveness.length > 0) {
    summary.livenessFailures++
    summary.livenessSeeds.push(r.seed)
  }
  if (r.byzantineWeight > 0) summary.byzantineRuns++
  if (s.partition !== null) summary.partitions++
  summary.crashes += r.crashes
  summary.committeeChanges += r.committeeChanges
  summary.slashings += r.slashings
  summary.issued += r.issued
  summary.finalized += r.finalizedAtWallets
  summary.conflicting += r.conflicting
  summary.chained += r.chained
  summary.blocks += r.blocks
  summary.committeeSizes[r.nodes] = (summary.committeeSizes[r.nodes] ?? 0) + 1
  summary.messages += r.messages
  summary.signatures += r.signatures
  for (const l of r.latencies) latencies.push(l)
}

export function finish(
  summary: CampaignSummary,
  latencies: number[],
  wallMs: number,
): CampaignSummary {
  latencies.sort((a, b) => a - b)
  const q = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0)
  summary.finalityMs = { p50: q(0.5), p90: q(0.9), p99: q(0.99), samples: latencies.length }
  summary.wallMs = Math.round(wallMs)
  return summary
}

export async function runSeeds(
  seeds: readonly (number | string)[],
  overrides: Partial<Scenario> = {},
) {
  const summary = emptySummary()
  const latencies: number[] = []
  const reports: RunReport[] = []
  const start = performance.now()
  for (const seed of seeds) {
    const scenario = randomScenario(seed, overrides)
    const report = await runScenario(scenario)
    addRun(summary, scenario, report, latencies)
    reports.push(report)
  }
  return { summary: finish(summary, latencies, performance.now() - start), reports }
}
