/**
 * What goes into an engine (events) and what comes out (effects). The shell — a libp2p node, a
 * browser, or the simulator — turns I/O into events and carries out effects, in order.
 */
import type { FinalityCertificate } from '../consensus/certificate.ts'
import type { PeerAction } from '../errors.ts'
import type { UtxoState } from '../ledger/utxo-state.ts'
import type { OutPoint } from '../primitives/outpoint.ts'
import type { Transaction, TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { BatchOp } from '../storage/store.ts'
import type { Message, PeerId } from './messages.ts'

export type EngineEvent =
  /** A pre-verified message from a peer. */
  | { readonly type: 'message'; readonly from: PeerId; readonly message: Message }
  /** A pre-verified transaction submitted locally (wallet, RPC). */
  | { readonly type: 'submit'; readonly tx: Transaction }
  /** A `persist` effect with this id is durable (or, when not sync, applied). */
  | { readonly type: 'persisted'; readonly id: number }
  /** A timer set with `setTimer` fired. */
  | { readonly type: 'timer'; readonly id: string }

export type Effect =
  | { readonly type: 'send'; readonly to: PeerId; readonly message: Message }
  /**
   * Write `ops` atomically. The shell performs persists in emission order and answers each with
   * a `persisted` event; with `sync` it answers only once the write is durable.
   */
  | {
      readonly type: 'persist'
      readonly id: number
      readonly ops: readonly BatchOp[]
      readonly sync: boolean
    }
  /** (Re)arms timer `id` to fire at `at` (ms on the engine clock); replaces an earlier one. */
  | { readonly type: 'setTimer'; readonly id: string; readonly at: number }
  | { readonly type: 'clearTimer'; readonly id: string }
  /** A transaction became final here. */
  | {
      readonly type: 'finalized'
      readonly txid: Txid
      readonly tx: Transaction
      readonly certificate: FinalityCertificate
    }
  /**
   * An output changed state here: created (Unspent), Locked, SpentPending, SpentFinalized,
   * Confirmed, or an unvoted lock released (Unspent again). One effect per output and change, in
   * the order the ledger applied them; the wallet protocol delivers them to subscribers.
   */
  | ({ readonly type: 'utxoState' } & UtxoStateChange)
  /** A block was committed here (its transactions are Confirmed). */
  | {
      readonly type: 'committed'
      readonly height: number
      readonly hash: Uint8Array
      readonly transactions: number
    }
  /** A peer sent something invalid: the network layer applies the ban-score action. */
  | {
      readonly type: 'penalize'
      readonly peer: PeerId
      readonly action: PeerAction
      /** The typed error's code (docs/ERRORS.md). */
      readonly code: string
      readonly reason: string
    }
  /** Something that must never happen did (e.g. two conflicting certificates): halt and alert. */
  | { readonly type: 'alarm'; readonly code: string; readonly message: string }

/** One output's new state, with the proof a light client checks it by where there is one. */
export interface UtxoStateChange {
  readonly outpoint: OutPoint
  /** The output (its value and the address payload it pays to). */
  readonly output: TxOutput
  readonly state: UtxoState
  /**
   * The certificate of the final transaction behind the state: the spender's for SpentFinalized,
   * the creator's for an output created by a final, unconfirmed transaction.
   */
  readonly certificate?: FinalityCertificate
  /** Height of the block behind the state: the spender's for Confirmed, the creator's for an output a block confirmed. */
  readonly height?: number
}
