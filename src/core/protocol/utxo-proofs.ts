/**
 * What a wallet is told about one of its outputs (docs/PROTOCOL.md §19.5): the output, its state
 * as peers may know it, and the proof a light client checks the state by on its own — a finality
 * certificate, a certified block header with the transaction's Merkle path, or a certified header
 * with the block's reward outputs — plus the address status hash, Electrum's idea: one hash of an
 * address's outputs and states, so a reconnecting wallet re-reads only what changed.
 *
 * Invariants: a wallet state carries no node-local field (a lock's time, whether this node
 * voted), so every node that agrees on an output's state reports the same bytes and status; every
 * list has a bound derived from the block and certificate limits.
 */
import * as P from 'micro-packed'
import {
  BLOCK_HEADER_SIZE,
  type BlockHeader,
  blockHeaderCoder,
  MAX_BLOCK_TRANSACTIONS,
  MAX_REWARD_OUTPUTS,
  rewardOutputsCoder,
} from '../consensus/block.ts'
import { type BlockCertificate, BlockCertificateCodec } from '../consensus/block-certificate.ts'
import { type FinalityCertificate, FinalityCertificateCodec } from '../consensus/certificate.ts'
import { pathLength } from '../consensus/merkle.ts'
import { DomainTags } from '../crypto/domain.ts'
import { taggedHash } from '../crypto/sha256.ts'
import { compareBytes, u32le } from '../encoding/bytes.ts'
import { bytes32, limitedLength, u8, u32 } from '../encoding/fields.ts'
import type { UtxoState } from '../ledger/utxo-state.ts'
import {
  OUTPOINT_SIZE,
  type OutPoint,
  OutPointCodec,
  outPointCoder,
} from '../primitives/outpoint.ts'
import { type Transaction, type TxOutput, txOutputCoder } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { taggedUnion, variant } from './tagged-union.ts'
import { SIZED_TX_MAX, sizedTransaction } from './wire-fields.ts'

/** An output's state as a wallet sees it (UtxoState without what only one node knows). */
export type WalletUtxoState =
  | { readonly kind: 'Unspent' }
  | { readonly kind: 'Locked'; readonly txid: Txid }
  /** `votes`: the Accept weight the reporting node had seen when the output became pending. */
  | { readonly kind: 'SpentPending'; readonly txid: Txid; readonly votes: number }
  | { readonly kind: 'SpentFinalized'; readonly txid: Txid }
  | { readonly kind: 'Confirmed'; readonly txid: Txid; readonly height: number }

/** The wallet's view of a node's state: the lock time and the node's own vote left out. */
export function walletUtxoState(state: UtxoState): WalletUtxoState {
  switch (state.kind) {
    case 'Unspent':
      return { kind: 'Unspent' }
    case 'Locked':
    case 'SpentFinalized':
      return { kind: state.kind, txid: state.txid }
    case 'SpentPending':
      return { kind: 'SpentPending', txid: state.txid, votes: state.votes }
    case 'Confirmed':
      return { kind: 'Confirmed', txid: state.txid, height: state.height }
  }
}

/** Kind codes as in the store (docs/STORAGE.md): 0 Unspent … 4 Confirmed. */
export const WalletUtxoStateCodec = taggedUnion<WalletUtxoState, 'kind'>(
  'WalletUtxoState',
  {
    Unspent: variant(0, {}, 0),
    Locked: variant(1, { txid: bytes32 }, 32),
    SpentPending: variant(2, { txid: bytes32, votes: u32 }, 36),
    SpentFinalized: variant(3, { txid: bytes32 }, 32),
    Confirmed: variant(4, { txid: bytes32, height: u32 }, 36),
  },
  'kind',
)

/** The deepest transaction path of a block: 14 hashes for 10,000 transactions. */
export const MAX_TX_PATH = pathLength(0, MAX_BLOCK_TRANSACTIONS)

/**
 * The proof of a state, where there is one:
 * - `finality`: the transaction behind the state (the spender, or the creator of a new output)
 *   and its certificate;
 * - `inclusion`: that transaction, a block header and its certificate, and the transaction's
 *   Merkle path under the header's `txRoot` (leaf `index` of `count`, leaves H(0x02 ‖ txid));
 * - `reward`: a header and its certificate with the block's reward outputs, which hash to its
 *   `rewardHash` (an output of `rewardTxid(height, prevHash)`).
 */
export type UtxoProof =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'finality'
      readonly tx: Transaction
      readonly certificate: FinalityCertificate
    }
  | {
      readonly kind: 'inclusion'
      readonly tx: Transaction
      readonly header: BlockHeader
      readonly blockCertificate: BlockCertificate
      readonly index: number
      readonly count: number
      readonly path: readonly Uint8Array[]
    }
  | {
      readonly kind: 'reward'
      readonly header: BlockHeader
      readonly blockCertificate: BlockCertificate
      readonly reward: readonly TxOutput[]
    }

const txPath = P.array(limitedLength(u8, MAX_TX_PATH, 'transaction path'), bytes32)
const CERTIFIED_HEADER_MAX = BLOCK_HEADER_SIZE + BlockCertificateCodec.maxSize

export const UtxoProofCodec = taggedUnion<UtxoProof, 'kind'>(
  'UtxoProof',
  {
    none: variant(0, {}, 0),
    finality: variant(
      1,
      { tx: sizedTransaction, certificate: FinalityCertificateCodec.coder },
      SIZED_TX_MAX + FinalityCertificateCodec.maxSize,
    ),
    inclusion: variant(
      2,
      {
        tx: sizedTransaction,
        header: blockHeaderCoder,
        blockCertificate: BlockCertificateCodec.coder,
        index: u32,
        count: u32,
        path: txPath,
      },
      SIZED_TX_MAX + CERTIFIED_HEADER_MAX + 4 + 4 + 1 + 32 * MAX_TX_PATH,
    ),
    reward: variant(
      3,
      {
        header: blockHeaderCoder,
        blockCertificate: BlockCertificateCodec.coder,
        reward: rewardOutputsCoder,
      },
      CERTIFIED_HEADER_MAX + 2 + MAX_REWARD_OUTPUTS * 28,
    ),
  },
  'kind',
)

/** One output of a watched address: where it is, what it holds, its state and that state's proof. */
export interface WalletUtxo {
  readonly outpoint: OutPoint
  readonly output: TxOutput
  readonly state: WalletUtxoState
  readonly proof: UtxoProof
}

export const walletUtxoCoder = P.struct({
  outpoint: outPointCoder,
  output: txOutputCoder,
  state: WalletUtxoStateCodec.coder,
  proof: UtxoProofCodec.coder,
}) as unknown as P.CoderType<WalletUtxo>

export const WALLET_UTXO_MAX =
  OUTPOINT_SIZE + 8 + 20 + WalletUtxoStateCodec.maxSize + UtxoProofCodec.maxSize

/**
 * An address's status: SHA-256("TIMECOIN/address-status/v1" ‖ u32le(count) ‖ (outpoint ‖ state)…)
 * over its outputs in outpoint order (proofs left out: they differ between honest nodes).
 */
export function addressStatus(
  utxos: readonly { readonly outpoint: OutPoint; readonly state: WalletUtxoState }[],
): Uint8Array {
  const parts = utxos
    .map((u) => [OutPointCodec.encode(u.outpoint), WalletUtxoStateCodec.encode(u.state)] as const)
    .sort((a, b) => compareBytes(a[0], b[0]))
  return taggedHash(DomainTags.addressStatus, u32le(parts.length), ...parts.flat())
}
