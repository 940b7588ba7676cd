/**
 * The chain's boundary with the engine that hosts it: what it may read (a query-only view) and
 * what each of its calls returns for the engine to carry out. Nothing crosses it the other way.
 */
import type { FinalityCertificate } from '../consensus/certificate.ts'
import type { Committee } from '../consensus/committee.ts'
import type { ConfirmedTx, Registry } from '../consensus/registry.ts'
import type { VoteBatch } from '../consensus/vote-batch.ts'
import type { VoteLeaf } from '../consensus/vote-leaf.ts'
import type { KeyPair, Signer } from '../crypto/ed25519.ts'
import type { TimeCoinError } from '../errors.ts'
import type { Ledger } from '../ledger/ledger.ts'
import type { UtxoEntry } from '../ledger/utxo-state.ts'
import type { Txid } from '../primitives/txid.ts'
import type { BatchOp } from '../storage/store.ts'
import type { EngineLimits } from './limits.ts'
import type { Message, PeerId } from './messages.ts'

/** What the chain may read of the engine that hosts it (queries only: no commands). */
export interface ChainView {
  /** The committee voting now (C_e); changes when a committee-changing block commits. */
  readonly committee: Committee
  readonly registry: Registry
  /** Whether this node votes in the current epoch (others only follow committed blocks). */
  readonly isVoter: boolean
  /** Peers that get committed blocks besides the voters (non-voting masternodes). */
  readonly followers: readonly PeerId[]
  /** This node's peer id (a message to it is delivered after the current call). */
  readonly self: PeerId
  /** The voting members' peer ids (this node's own included). */
  readonly voters: readonly PeerId[]
  /** This node's report (key and carry set) if it sealed and reported at `height`. */
  reportedAt(
    height: number,
  ): { readonly voterKey: Uint8Array; readonly txids: readonly Txid[] } | undefined
  readonly ledger: Ledger
  /** This node's key and signer; absent on a node that only follows (it is then no voter). */
  readonly key: KeyPair | undefined
  readonly signer: Signer | undefined
  readonly genesisHash: Uint8Array
  now(): number
  certificateOf(txid: Txid): FinalityCertificate | undefined
  isFinal(txid: Txid): boolean
  /** The bounds on the chain's buffers and recent blocks. */
  readonly limits: EngineLimits
}

/** What a chain call asks the engine to carry out, in order. */
export type ChainOutput =
  | { readonly type: 'send'; readonly to: PeerId; readonly message: Message }
  | { readonly type: 'setTimer'; readonly id: string; readonly at: number }
  | {
      readonly type: 'persist'
      readonly ops: readonly BatchOp[]
      readonly sync: boolean
      /** Outputs the write's ledger transition created or moved (their state-change effects). */
      readonly moved?: readonly UtxoEntry[]
    }
  /** A block vote, signed only once `ops` (and the leaf's decision) are durable. */
  | { readonly type: 'vote'; readonly leaf: VoteLeaf; readonly ops: readonly BatchOp[] }
  /** Seal the epoch for the committee-changing block at `height` and (re)send the lock report. */
  | { readonly type: 'seal'; readonly height: number }
  /** A block committed here: its registry after, whether it changed the committee, its carry set. */
  | {
      readonly type: 'committed'
      readonly height: number
      readonly hash: Uint8Array
      readonly transactions: number
      readonly registry: Registry
      readonly changed: boolean
      readonly carried: readonly ConfirmedTx[]
    }
  /** A buffered batch whose height is now open: hand it to `onBatch` after this call. */
  | { readonly type: 'replay'; readonly batch: VoteBatch }
  | { readonly type: 'alarm'; readonly code: string; readonly message: string }
  /** A peer sent what `error` describes (costs it the error's action, if it has one). */
  | { readonly type: 'penalize'; readonly peer: PeerId; readonly error: TimeCoinError }

/** A chain call's report of a committed block. */
export type ChainCommit = Extract<ChainOutput, { readonly type: 'committed' }>
