/**
 * A restart loads only live state. While it runs, a node deletes what binds nothing any more:
 * its block votes at a height leave in that height's commit batch, and after each commit the
 * decisions the block settled and the spent outputs `spentOutputDepth` blocks deep go in one
 * write that is not synced (finality-engine.ts). A crash can lose that write, and a store written
 * by an older release never had it; `pruneOnOpen` deletes those leftovers before the engine is
 * built from the records:
 *  - spent outputs whose spend a block at or below tip − spentOutputDepth confirmed;
 *  - decisions of an epoch two or more behind the registry's, on a transaction a kept spent
 *    output names as its confirmed spender, or Rejects naming such a transaction as the conflict
 *    (the last blocks' settled decisions: exactly what a lost prune write leaves);
 *  - this node's block votes at committed heights.
 */

import type { Ledger } from '../ledger/ledger.ts'
import { txidKey } from '../ledger/map-keys.ts'
import { Bucket } from '../storage/keys.ts'
import type { BatchOp, Store } from '../storage/store.ts'
import { decisionDeleteOp, type StoredVotingState } from './decision-store.ts'
import type { EngineLimits } from './limits.ts'

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, false)
  return b
}

/**
 * Deletes the records of `store` that bind nothing any more (see above), from the store and from
 * the restored `ledger`, and returns the voting state without the deleted decisions.
 */
export async function pruneOnOpen(
  store: Store,
  ledger: Ledger,
  voting: StoredVotingState,
  chain: { readonly tipHeight: number; readonly epoch: number },
  limits: EngineLimits,
): Promise<StoredVotingState> {
  const ops: BatchOp[] = [...ledger.pruneSpent(chain.tipHeight - limits.spentOutputDepth).ops]
  // Transactions a kept block confirmed, as the spent outputs name them.
  const confirmed = new Set<string>()
  for (const e of ledger.utxos.entries())
    if (e.state.kind === 'Confirmed') confirmed.add(txidKey(e.state.txid))
  const decisions = voting.decisions.filter((d) => {
    const settled =
      d.epoch + 2 <= chain.epoch ||
      confirmed.has(txidKey(d.txid)) ||
      (d.kind === 'reject' && confirmed.has(txidKey(d.conflictingTxid)))
    if (!settled) return true
    ops.push(decisionDeleteOp(d.txid))
    return false
  })
  // Block votes at heights up to the tip (the next height's are the ones a restart resumes).
  for await (const [key] of store.iterate({
    gte: Uint8Array.of(Bucket.blockVote),
    lt: Uint8Array.of(Bucket.blockVote, ...u32be(chain.tipHeight + 1)),
  }))
    ops.push({ type: 'del', key })
  if (ops.length > 0) await store.write(ops)
  return { ...voting, decisions }
}
