// Bounded state over a long run (docs/ARCHITECTURE.md §2.3), in `npm test`: 500 blocks of a
// devnet-like chain with steady payments, a double spend or two and a crash, the recent-block
// window and the spent-output depth shrunk so that both fill within the run. Every engine's
// entry counts and its store's bookkeeping records must be flat after the warm-up, and the
// oracle must find nothing. `npm run sim:longrun` runs the same for 5,000 blocks at the defaults.
import { describe, expect, it } from 'vitest'
import { growth, longRun, peaks } from './consensus/longrun.ts'

const BLOCKS = 500
const LIMITS = { recentBlocks: 50, spentOutputDepth: 20 } as const
/** The figures settle once the recent-block window and the spent-output depth have filled. */
const WARMUP = Math.max(BLOCKS / 5, LIMITS.recentBlocks, LIMITS.spentOutputDepth)
/**
 * The store's bookkeeping records at most: six metadata records, this node's block votes at the
 * open height (a prevote and a precommit per attempt: 8 covers four attempts), the spent outputs
 * of the last spentOutputDepth + 1 blocks (one input per payment, at most three payments a block
 * on average here) and four records per payment in flight (its mempool record, decision,
 * certificate and the spent output before its block; eight in flight at most).
 */
const BOOKKEEPING = 6 + 8 + 3 * (LIMITS.spentOutputDepth + 1) + 4 * 8

describe('bounded state over a long run', () => {
  it(`${BLOCKS} blocks of steady payments: engine figures and store records flat after warm-up, no violation`, async () => {
    const { report, samples } = await longRun({ blocks: BLOCKS, samples: 50, limits: LIMITS })
    expect(report.violations).toEqual([])
    expect(report.liveness).toEqual([])
    expect(report.blocks).toBeGreaterThanOrEqual(BLOCKS)
    expect(report.finalizedAtWallets).toBeGreaterThan(BLOCKS / 2)
    expect(report.crashes).toBe(1)
    // Nothing bounded grows after the warm-up…
    expect(growth(samples, WARMUP)).toEqual([])
    // …and each stays under its stated bound.
    const peak = peaks(samples, WARMUP)
    expect(peak['chain.recentBlocks']).toBe(LIMITS.recentBlocks)
    expect(peak['disk.bookkeeping']).toBeLessThanOrEqual(BOOKKEEPING)
    expect(peak['disk.blockVote']).toBeLessThanOrEqual(8)
    expect(peak['ledger.spent']).toBeLessThanOrEqual(3 * (LIMITS.spentOutputDepth + 1))
    for (const name of ['known.txs', 'voting.decisions', 'finality.tallyTxs', 'ledger.mempool'])
      expect(peak[name], name).toBeLessThanOrEqual(16)
    for (const name of ['orphans.txs', 'chain.early', 'finality.nextEpoch', 'epochs.held'])
      expect(peak[name], name).toBeLessThanOrEqual(4)
  }, 300_000)
})
