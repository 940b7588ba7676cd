/**
 * TimeLock blocks. Wire form: header ‖ u32 count ‖ (u32 size ‖ transaction)… ‖ reward outputs.
 * Wire form continues with u32 count ‖ (u32 size ‖ carried transaction)….
 * A block confirms transactions that are already final and pays the reward:
 * 100 TIME shared by committee weight, the rounding remainder and all fees to the proposer. The
 * header commits to the transactions by a Merkle root of their txids and to the reward outputs,
 * so a block hash fixes the whole block; and to the UTXO set the chain holds after it (an LtHash16
 * digest, docs/PROTOCOL.md §14), so a snapshot of that set is checked against a certified header.
 */
import * as P from 'micro-packed'
import { DomainTags } from '../crypto/domain.ts'
import { sha256, taggedHash } from '../crypto/sha256.ts'
import { concatBytes, equalBytes, u32le } from '../encoding/bytes.ts'
import { codec } from '../encoding/codec.ts'
import {
  boundedArray,
  bytes20,
  bytes32,
  limitedLength,
  oneOfU16,
  rangedU64,
  u32,
  u64Number,
} from '../encoding/fields.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { addressPayloadFromPublicKey } from '../primitives/address.ts'
import { type Amount, COIN, MAX_AMOUNT } from '../primitives/amount.ts'
import {
  computeTxid,
  MAX_TX_SIZE,
  type Transaction,
  TransactionCodec,
  type TxOutput,
} from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { Committee } from './committee.ts'
import { merkleRoot } from './merkle.ts'

export const BLOCK_VERSION = 1
export const BLOCK_REWARD = (100n * COIN) as Amount
export const MAX_BLOCK_TRANSACTIONS = 10_000
export const MAX_REWARD_OUTPUTS = 1_001
/** Leaves of the transaction root are H(0x02 ‖ txid): distinct from vote leaves and nodes. */
export const TX_LEAF_PREFIX = 0x02

export interface BlockHeader {
  readonly version: number
  readonly height: number
  /** The voting attempt at this height that produced the block. */
  readonly attempt: number
  readonly prevHash: Uint8Array
  /** The epoch whose committee votes on this block (the epoch after block height − 1). */
  readonly epoch: number
  readonly timestamp: number
  /** The proposer's masternode key. */
  readonly proposer: Uint8Array
  /** Merkle root of H(0x02 ‖ txid) over the transactions, or all zeros when there are none. */
  readonly txRoot: Uint8Array
  /** SHA-256 of the encoded reward outputs. */
  readonly rewardHash: Uint8Array
  /**
   * Merkle root of H(0x02 ‖ txid) over the carried transactions (committee handoff, §4.8), or
   * all zeros when the block carries none (every block that does not change the committee).
   */
  readonly carryRoot: Uint8Array
  /** `committeeHash` of the committee that votes on the next block (committee proofs). */
  readonly committeeHash: Uint8Array
  /**
   * LtHash16 digest (docs/PROTOCOL.md §14) of the chain's UTXO set after this block: the outputs
   * created by genesis, by block rewards and by the transactions of blocks up to this one, less
   * those these transactions spend. What is only final (not in a block) is not in it.
   */
  readonly utxoCommitment: Uint8Array
}

export interface Block {
  readonly header: BlockHeader
  readonly transactions: readonly Transaction[]
  readonly reward: readonly TxOutput[]
  /** Transactions the outgoing committee's members reported as locked (handoff), not confirmed. */
  readonly carried: readonly Transaction[]
}

export const blockHeaderCoder = P.struct({
  version: oneOfU16([BLOCK_VERSION], 'block version'),
  height: u32,
  attempt: u32,
  prevHash: bytes32,
  epoch: u32,
  timestamp: u64Number,
  proposer: bytes32,
  txRoot: bytes32,
  rewardHash: bytes32,
  carryRoot: bytes32,
  committeeHash: bytes32,
  utxoCommitment: bytes32,
}) as unknown as P.CoderType<BlockHeader>

export const BLOCK_HEADER_SIZE = 2 + 4 + 4 + 32 + 4 + 8 + 32 + 32 + 32 + 32 + 32 + 32
/** Largest carry set of one block (transactions re-accepted by the next committee). */
export const MAX_CARRIED_TRANSACTIONS = 10_000

/** `u16 count ‖ (value u64 ‖ address (20))…`: a block's reward outputs (`rewardHash` hashes it). */
export const rewardOutputsCoder = boundedArray(
  MAX_REWARD_OUTPUTS,
  P.struct({
    value: rangedU64(0n, MAX_AMOUNT, 'reward value'),
    address: bytes20,
  }) as unknown as P.CoderType<TxOutput>,
  'reward outputs',
)

const sizedTx = P.prefix(
  limitedLength(u32, MAX_TX_SIZE, 'transaction size'),
  TransactionCodec.coder,
)

const blockCoder = P.struct({
  header: blockHeaderCoder,
  transactions: P.array(limitedLength(u32, MAX_BLOCK_TRANSACTIONS, 'block transactions'), sizedTx),
  reward: rewardOutputsCoder,
  carried: P.array(limitedLength(u32, MAX_CARRIED_TRANSACTIONS, 'carried transactions'), sizedTx),
}) as unknown as P.CoderType<Block>

export const BlockHeaderCodec = codec('BlockHeader', blockHeaderCoder, BLOCK_HEADER_SIZE)
export const BlockCodec = codec(
  'Block',
  blockCoder,
  BLOCK_HEADER_SIZE + 8 + (MAX_BLOCK_TRANSACTIONS + MAX_CARRIED_TRANSACTIONS) * (4 + MAX_TX_SIZE),
)

export function blockHash(header: BlockHeader): Uint8Array {
  return taggedHash(DomainTags.block, BlockHeaderCodec.encode(header))
}

export function transactionRoot(txids: readonly Txid[]): Uint8Array {
  if (txids.length === 0) return new Uint8Array(32)
  return merkleRoot(txids.map((t) => sha256(concatBytes(Uint8Array.of(TX_LEAF_PREFIX), t))))
}

export function rewardHash(reward: readonly TxOutput[]): Uint8Array {
  return sha256(rewardOutputsCoder.encode([...reward]))
}

/** The txid under which a block's reward outputs are spendable: (rewardTxid, index). */
export function rewardTxid(height: number, prevHash: Uint8Array): Txid {
  return taggedHash(DomainTags.reward, u32le(height), prevHash) as Txid
}

/**
 * The most fees a block with `bounties` may pay its proposer: its reward outputs then total
 * exactly MAX_AMOUNT (100 TIME + fees + bounties), the most any set of outputs may hold.
 */
export function maxBlockFees(bounties: readonly TxOutput[] = []): bigint {
  return bounties.reduce((left, b) => left - b.value, MAX_AMOUNT - BLOCK_REWARD)
}

/**
 * The reward of a block: each voting member gets ⌊100 TIME × weight / W⌋ (members in key order,
 * paid to the address of their masternode key), and the proposer gets the remainder plus `fees`;
 * then the slashing bounties the block applies. Zero-value outputs are left out. The outputs
 * total 100 TIME + fees + bounties, which must not exceed MAX_AMOUNT (BLOCK_INVALID otherwise:
 * `maxBlockFees` is what a builder may collect).
 */
export function blockReward(
  committee: Committee,
  proposer: Uint8Array,
  fees: bigint,
  bounties: readonly TxOutput[] = [],
): TxOutput[] {
  if (fees < 0n || fees > maxBlockFees(bounties)) {
    throw new ConsensusError(
      'BLOCK_INVALID',
      `fees ${fees} would take the reward outputs out of [0, ${MAX_AMOUNT}]`,
      PeerAction.LowToleranceError,
    )
  }
  const out: TxOutput[] = []
  let paid = 0n
  for (const m of committee.voters) {
    const share = (BLOCK_REWARD * BigInt(m.weight)) / BigInt(committee.totalWeight)
    if (share === 0n) continue
    out.push({ value: share as Amount, address: addressPayloadFromPublicKey(m.key) })
    paid += share
  }
  const leader = BLOCK_REWARD - paid + fees
  if (leader > 0n)
    out.push({ value: leader as Amount, address: addressPayloadFromPublicKey(proposer) })
  for (const b of bounties) if (b.value > 0n) out.push(b)
  return out
}

/** Whether the body is the one the header commits to (transactions, reward and carry set). */
export function bodyMatchesHeader(block: Block): boolean {
  const h = block.header
  return (
    equalBytes(h.txRoot, transactionRoot(block.transactions.map(computeTxid))) &&
    equalBytes(h.rewardHash, rewardHash(block.reward)) &&
    equalBytes(h.carryRoot, transactionRoot(block.carried.map(computeTxid)))
  )
}

export function blockTxids(block: Block): Txid[] {
  return block.transactions.map(computeTxid)
}
