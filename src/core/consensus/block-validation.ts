/**
 * Whether a proposed block may be voted for: it extends our tip at the right height and epoch,
 * comes from the scheduled proposer, commits exactly to its transactions and reward, holds only
 * transactions that are final here (parents before children, each once) spending outputs of the
 * chain's UTXO set, pays exactly `blockReward` with the fees of those transactions, and commits to
 * the UTXO set applying it yields. Pure: the caller supplies its chain view.
 */
import { bytesToHex, equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { type OutPoint, outPointToString } from '../primitives/outpoint.ts'
import { computeTxid, type TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { txidToHex } from '../primitives/txid.ts'
import {
  BLOCK_VERSION,
  type Block,
  blockReward,
  MAX_BLOCK_TRANSACTIONS,
  rewardHash,
  transactionRoot,
} from './block.ts'
import type { Committee } from './committee.ts'
import type { ProposerSchedule } from './proposer.ts'

export interface BlockContext {
  readonly height: number
  readonly prevHash: Uint8Array
  readonly epoch: number
  readonly committee: Committee
  readonly schedule: ProposerSchedule
  /** The attempt in which the block is proposed (its header may name an earlier one). */
  readonly attempt: number
  /**
   * Value of an output of the chain's UTXO set before this block (created by genesis or a block,
   * spent by none), if it is one. An output only final here is not: a block spends it only after
   * the block, or the earlier transaction of the same block, that confirms its creator.
   */
  readonly outputValue: (outpoint: OutPoint) => bigint | undefined
  /**
   * The `utxoCommitment` applying this block (already checked for everything else) to the chain's
   * UTXO set yields: the digest the header must carry (docs/PROTOCOL.md §15.1).
   */
  readonly utxoCommitmentAfter: (block: Block, txids: readonly Txid[]) => Uint8Array
  /** Whether the transaction is final here (a certificate is known). */
  readonly isFinal: (txid: Txid) => boolean
  /** Slashing bounties this block must pay (the registry's pending removals). */
  readonly bounties?: readonly TxOutput[]
}

function invalid(message: string): never {
  throw new ConsensusError('BLOCK_INVALID', message, PeerAction.LowToleranceError)
}

/** A block this node cannot judge yet (it lacks a certificate or a parent): no one's fault. */
function notHere(code: 'BLOCK_NOT_FINAL_HERE' | 'BLOCK_INPUT_UNKNOWN', message: string): never {
  throw new ConsensusError(code, message)
}

/** Checks `block` against `ctx`; returns its txids and total fees. */
export function validateBlock(
  block: Block,
  ctx: BlockContext,
): { readonly txids: Txid[]; readonly fees: bigint } {
  const h = block.header
  if (h.version !== BLOCK_VERSION) invalid(`version ${h.version}`)
  if (h.height !== ctx.height) invalid(`height ${h.height}, expected ${ctx.height}`)
  if (!equalBytes(h.prevHash, ctx.prevHash)) invalid('does not extend our tip')
  if (h.epoch !== ctx.epoch) invalid(`epoch ${h.epoch}, expected ${ctx.epoch}`)
  if (h.attempt > ctx.attempt) invalid(`made in attempt ${h.attempt}, proposed in ${ctx.attempt}`)
  if (!equalBytes(h.proposer, ctx.schedule.proposer(h.height, h.attempt))) {
    invalid(`proposer is not scheduled for (${h.height}, ${h.attempt})`)
  }
  if (block.transactions.length > MAX_BLOCK_TRANSACTIONS) invalid('too many transactions')
  const txids = block.transactions.map(computeTxid)
  if (!equalBytes(h.txRoot, transactionRoot(txids))) invalid('transaction root does not match')
  const inBlock = new Set(txids.map(txidToHex))
  const created = new Map<string, bigint>()
  const spent = new Set<string>()
  const seen = new Set<string>()
  let fees = 0n
  for (let i = 0; i < block.transactions.length; i++) {
    const tx = block.transactions[i]!
    const txid = txids[i]!
    const id = txidToHex(txid)
    if (seen.has(id)) invalid(`transaction ${id} appears twice`)
    seen.add(id)
    if (!ctx.isFinal(txid)) notHere('BLOCK_NOT_FINAL_HERE', `transaction ${id} is not final here`)
    let inputs = 0n
    for (const input of tx.inputs) {
      const key = outPointToString(input.outpoint)
      if (spent.has(key)) invalid(`${key} spent twice in the block`)
      spent.add(key)
      const value = created.get(key) ?? ctx.outputValue(input.outpoint)
      if (value === undefined) {
        if (inBlock.has(txidToHex(input.outpoint.txid)))
          invalid(`${key} is spent before the transaction that creates it`)
        notHere('BLOCK_INPUT_UNKNOWN', `${key} is unknown here`)
      }
      inputs += value
    }
    const outputs = tx.outputs.reduce((a, o) => a + o.value, 0n)
    if (outputs > inputs) invalid(`transaction ${id} spends more than its inputs`)
    fees += inputs - outputs
    for (let vout = 0; vout < tx.outputs.length; vout++)
      created.set(outPointToString({ txid, vout }), tx.outputs[vout]!.value)
  }
  const expected = blockReward(ctx.committee, h.proposer, fees, ctx.bounties)
  if (
    !equalBytes(h.rewardHash, rewardHash(block.reward)) ||
    !equalBytes(rewardHash(expected), rewardHash(block.reward))
  ) {
    invalid(
      `reward does not pay 100 TIME by weight plus fees of ${fees} to ${bytesToHex(h.proposer)}`,
    )
  }
  if (!equalBytes(h.utxoCommitment, ctx.utxoCommitmentAfter(block, txids))) {
    throw new ConsensusError(
      'BLOCK_COMMITMENT_MISMATCH',
      `block ${h.height}: the UTXO-set commitment is not the one applying the block yields`,
      PeerAction.LowToleranceError,
    )
  }
  return { txids, fees }
}
