/**
 * Committing a certified block: checking a block and certificate a peer sent against our tip and
 * committee, applying a certified block to the ledger and the chain's UTXO-set state (what a block
 * does to that state is computed here, for proposals too), and the deletes of this node's votes
 * that go into the commit's write.
 *
 * Pure functions of what the chain passes in: the chain moves its tip only with what they return.
 * Invariants: a block from a peer is committed only with a certificate of its own hash from the
 * committee voting on it, extending our tip, with a body matching its header; a certified block is
 * applied only if applying it here yields its header's `utxoCommitment` (else an alarm, and the
 * tip stays); this node's block votes at the committed height are deleted in the commit's write.
 */
import { type Block, blockHash, bodyMatchesHeader, rewardTxid } from '../consensus/block.ts'
import { type BlockCertificate, checkBlockCertificate } from '../consensus/block-certificate.ts'
import type { Committee } from '../consensus/committee.ts'
import type { VoteLeaf } from '../consensus/vote-leaf.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction, TimeCoinError } from '../errors.ts'
import { chainStateAfter, inChain } from '../ledger/chain-utxos.ts'
import type { Ledger, Transition } from '../ledger/ledger.ts'
import type { LtHash } from '../ledger/lthash.ts'
import type { OutPoint } from '../primitives/outpoint.ts'
import { computeTxid, type Transaction, type TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { BatchOp } from '../storage/store.ts'
import { blockVoteDeleteOp, type ChainTip } from './chain-store.ts'

/** An output of the chain's UTXO set after the tip (genesis or a block made it, none spent it). */
export function chainOutputOf(ledger: Ledger, outpoint: OutPoint): TxOutput | undefined {
  const entry = ledger.utxos.get(outpoint)
  return entry !== undefined && inChain(entry) ? entry.output : undefined
}

/** The chain's UTXO-set state `utxos` after `block` (throws for a missing input). */
export function stateAfterBlock(
  utxos: LtHash,
  block: Block,
  txids: readonly Txid[],
  ledger: Ledger,
): LtHash {
  const h = block.header
  return chainStateAfter(
    utxos,
    {
      transactions: block.transactions.map((tx, i) => ({ tx, txid: txids[i]! })),
      rewardTxid: rewardTxid(h.height, h.prevHash),
      reward: block.reward,
    },
    (o) => chainOutputOf(ledger, o),
  )
}

/**
 * What is wrong with committed block `block` and its certificate as the block after `tip` (null:
 * nothing). Only call it for the height after the tip.
 */
export function checkCommitted(
  block: Block,
  certificate: BlockCertificate,
  tip: ChainTip,
  committee: Committee,
): TimeCoinError | null {
  const wrong = (code: 'BLOCK_INVALID' | 'BLOCK_NOT_EXTENDING', why: string) =>
    new ConsensusError(code, `block ${block.header.height}: ${why}`, PeerAction.LowToleranceError)
  if (!equalBytes(certificate.blockHash, blockHash(block.header)))
    return wrong('BLOCK_INVALID', 'the certificate is for another block')
  // One block is certified per height: a certified one that does not extend our tip is forged.
  if (!equalBytes(block.header.prevHash, tip.hash))
    return wrong('BLOCK_NOT_EXTENDING', 'does not extend our tip')
  if (!bodyMatchesHeader(block)) return wrong('BLOCK_INVALID', 'the body does not match the header')
  try {
    checkBlockCertificate(certificate, committee)
  } catch (e) {
    if (!(e instanceof TimeCoinError)) throw e
    return e
  }
  return null
}

/** A certified block applied to the ledger: its transition and the chain state after it. */
export type Applied =
  | {
      readonly ok: true
      readonly txs: readonly { readonly tx: Transaction; readonly txid: Txid }[]
      readonly hash: Uint8Array
      readonly applied: Transition
      readonly utxos: LtHash
    }
  | { readonly ok: false; readonly code: string; readonly message: string }

/**
 * Applies certified `block` to `ledger`. `known` is the state after it computed when it was
 * validated here (else `stateAfter` computes it). Refuses (an alarm, nothing applied) a block
 * whose commitment is not what applying it here yields, or one the ledger cannot apply.
 */
export function applyCertified(
  block: Block,
  ledger: Ledger,
  known: (hash: Uint8Array) => LtHash | undefined,
  stateAfter: (block: Block, txids: readonly Txid[]) => LtHash,
): Applied {
  const height = block.header.height
  const txs = block.transactions.map((tx) => ({ tx, txid: computeTxid(tx) }))
  const hash = blockHash(block.header)
  try {
    const utxos =
      known(hash) ??
      stateAfter(
        block,
        txs.map((t) => t.txid),
      )
    // Certified, yet not what applying it here yields: our state is not the committee's.
    if (!equalBytes(utxos.digest(), block.header.utxoCommitment))
      return {
        ok: false,
        code: 'CHAIN_COMMITMENT_MISMATCH',
        message: `block ${height} commits to another UTXO set than applying it here yields`,
      }
    const applied = ledger.confirmBlock(height, txs, {
      txid: rewardTxid(height, block.header.prevHash),
      outputs: block.reward,
    })
    return { ok: true, txs, hash, applied, utxos }
  } catch (e) {
    if (!(e instanceof TimeCoinError)) throw e
    // Certified, yet our ledger cannot apply it (a parent we never saw): we need block sync.
    return {
      ok: false,
      code: 'CHAIN_BEHIND',
      message: `cannot apply block ${height}: ${e.message}`,
    }
  }
}

/** Deletes of this node's persisted block votes at `height` (history once the tip passes it). */
export function ownVoteDeletes(height: number, ownVotes: Iterable<VoteLeaf>): BatchOp[] {
  return [...ownVotes].flatMap((l) =>
    l.kind === 'prevote' || l.kind === 'precommit'
      ? [blockVoteDeleteOp(height, l.attempt, l.kind)]
      : [],
  )
}
