/**
 * The block a leader proposes, built from what it holds: every final, unconfirmed transaction (in
 * dependency order, parents first, at most MAX_BLOCK_TRANSACTIONS, and no more than keep the
 * reward outputs within MAX_AMOUNT), the reward shared by weight with the fees to the leader and
 * pending slashing bounties, and — for a committee-changing block — the carry set: the union of
 * the lock reports it holds, less what this block confirms; its header commits to the chain's UTXO
 * set after it. Pure: the same inputs give the same block (docs/PROTOCOL.md §15, §18).
 */
import type { Amount } from '../primitives/amount.ts'
import { computeTxid, type Transaction, type TxOutput } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'
import {
  type Block,
  blockReward,
  MAX_BLOCK_TRANSACTIONS,
  maxBlockFees,
  rewardHash,
  rewardTxid,
  transactionRoot,
} from './block.ts'
import { type Committee, committeeHash } from './committee.ts'
import type { Registry } from './registry.ts'

/** A final transaction waiting for a block, with its fee. */
export interface FinalEntry {
  readonly tx: Transaction
  readonly txid: Txid
  readonly fee: Amount
}

export interface BlockInputs {
  readonly height: number
  readonly attempt: number
  readonly prevHash: Uint8Array
  readonly timestamp: number
  /** The leader's masternode key. */
  readonly proposer: Uint8Array
  /** The committee voting on this block (C_e of block height − 1). */
  readonly committee: Committee
  readonly registry: Registry
  readonly finalized: readonly FinalEntry[]
  /** The transactions of the lock reports held (used only when the block changes the committee). */
  readonly reported: readonly (readonly Transaction[])[]
  /**
   * The `utxoCommitment` of the chain's UTXO set after a block with these transactions (in order)
   * and reward outputs (spendable as (rewardTxid, index)).
   */
  readonly utxoCommitmentAfter: (changes: {
    readonly transactions: readonly { readonly tx: Transaction; readonly txid: Txid }[]
    readonly rewardTxid: Txid
    readonly reward: readonly TxOutput[]
  }) => Uint8Array
}

/** Final transactions in an order where every parent comes before its children. */
function dependencyOrder<E extends FinalEntry>(entries: readonly E[]): E[] {
  const pending = new Map(entries.map((e) => [txidToHex(e.txid), e]))
  const out: E[] = []
  while (pending.size > 0 && out.length < MAX_BLOCK_TRANSACTIONS) {
    let progressed = false
    for (const id of pending.keys()) {
      const e = pending.get(id)!
      if (e.tx.inputs.some((i) => pending.has(txidToHex(i.outpoint.txid)))) continue
      out.push(e)
      pending.delete(id)
      progressed = true
      if (out.length >= MAX_BLOCK_TRANSACTIONS) break
    }
    if (!progressed) break
  }
  return out
}

/**
 * The longest prefix of `ordered` whose fees, with the reward and `bounties`, keep the reward
 * outputs within MAX_AMOUNT (a prefix of a dependency order is one too: parents stay first).
 */
function withinFeeLimit<E extends FinalEntry>(
  ordered: readonly E[],
  bounties: readonly TxOutput[],
): { entries: readonly E[]; fees: bigint } {
  const limit = maxBlockFees(bounties)
  let fees = 0n
  for (let i = 0; i < ordered.length; i++) {
    const e = ordered[i]!
    if (fees + e.fee > limit) return { entries: ordered.slice(0, i), fees }
    fees += e.fee
  }
  return { entries: ordered, fees }
}

export function buildBlock(input: BlockInputs): Block {
  const bounties = input.registry.pendingBounties()
  const { entries, fees } = withinFeeLimit(dependencyOrder(input.finalized), bounties)
  const reward = blockReward(input.committee, input.proposer, fees, bounties)
  const confirmed = new Set(entries.map((e) => txidToHex(e.txid)))
  const carried = new Map<string, Transaction>()
  if (input.registry.changing) {
    for (const txs of input.reported)
      for (const tx of txs) {
        const id = txidToHex(computeTxid(tx))
        if (!confirmed.has(id)) carried.set(id, tx)
      }
  }
  const carriedTxs = [...carried.values()]
  return {
    header: {
      version: 1,
      height: input.height,
      attempt: input.attempt,
      prevHash: input.prevHash,
      epoch: input.committee.epoch,
      timestamp: input.timestamp,
      proposer: input.proposer,
      txRoot: transactionRoot(entries.map((e) => e.txid)),
      rewardHash: rewardHash(reward),
      carryRoot: transactionRoot(carriedTxs.map(computeTxid)),
      committeeHash: committeeHash(input.registry.nextCommittee()),
      utxoCommitment: input.utxoCommitmentAfter({
        transactions: entries,
        rewardTxid: rewardTxid(input.height, input.prevHash),
        reward,
      }),
    },
    transactions: entries.map((e) => e.tx),
    reward,
    carried: carriedTxs,
  }
}
