/**
 * The life of an output, in the seed's names: Unspent → Locked(txid) → SpentPending(txid, votes)
 * → SpentFinalized(txid) → Confirmed(txid, height). States only move forward; the one way back is
 * an *unvoted* lock expiring or being released (a lock backing a persisted vote never goes back).
 */
import { equalBytes } from '../encoding/bytes.ts'
import { LedgerError } from '../errors.ts'
import type { OutPoint } from '../primitives/outpoint.ts'
import type { TxOutput } from '../primitives/transaction.ts'
import { type Txid, txidToHex } from '../primitives/txid.ts'

export type UtxoState =
  | { readonly kind: 'Unspent' }
  | {
      readonly kind: 'Locked'
      readonly txid: Txid
      /** Milliseconds (the node's clock) when the lock was taken; unvoted locks expire. */
      readonly lockedAt: number
      /** True once this node's Accept vote for `txid` is persisted: the lock never expires. */
      readonly voted: boolean
    }
  | {
      readonly kind: 'SpentPending'
      readonly txid: Txid
      readonly votes: number
      readonly voted: boolean
    }
  | { readonly kind: 'SpentFinalized'; readonly txid: Txid }
  | { readonly kind: 'Confirmed'; readonly txid: Txid; readonly height: number }

export type UtxoStateKind = UtxoState['kind']

export interface UtxoEntry {
  readonly outpoint: OutPoint
  readonly output: TxOutput
  /** Height of the block that confirmed the creating transaction; null while only final. */
  readonly height: number | null
  readonly state: UtxoState
}

const RANK: Record<UtxoStateKind, number> = {
  Unspent: 0,
  Locked: 1,
  SpentPending: 2,
  SpentFinalized: 3,
  Confirmed: 4,
}

/** The spending txid named by a state, if any. */
export function spenderOf(state: UtxoState): Txid | undefined {
  return state.kind === 'Unspent' ? undefined : state.txid
}

/** Still part of the spendable set: not spent by a final transaction. */
export function isLive(state: UtxoState): boolean {
  return RANK[state.kind] < RANK.SpentFinalized
}

/** True for states whose spend is final (a certificate or a block). */
export function isSpentFinal(state: UtxoState): boolean {
  return !isLive(state)
}

/**
 * Asserts a transition is allowed: forward in rank, and — except where a certificate or a block
 * overrides a non-final lock — for the same txid. The only backward move allowed is an unvoted
 * lock returning to Unspent.
 */
export function assertTransition(outpoint: OutPoint, from: UtxoState, to: UtxoState): void {
  const fail = (why: string): never => {
    throw new LedgerError(
      'LEDGER_TRANSITION',
      `${txidToHex(outpoint.txid)}:${outpoint.vout}: ${from.kind} → ${to.kind}: ${why}`,
    )
  }
  if (to.kind === 'Unspent') {
    if (from.kind === 'Locked' && !from.voted) return
    if (from.kind === 'Unspent') return
    fail('only an unvoted lock may be released')
  }
  const fromTxid = spenderOf(from)
  const toTxid = spenderOf(to)!
  const sameTx = fromTxid !== undefined && equalBytes(fromTxid, toTxid)
  // Checked before the order of states: a certificate against a confirmed spend is double
  // finality too, not a mere backward move.
  if (isSpentFinal(from) && isSpentFinal(to) && !sameTx) {
    throw new LedgerError(
      'LEDGER_DOUBLE_FINALITY',
      `${txidToHex(outpoint.txid)}:${outpoint.vout} is already spent by final ${txidToHex(fromTxid!)}; ` +
        `${txidToHex(toTxid)} conflicts (more than a third of the weight signed both)`,
    )
  }
  if (RANK[to.kind] < RANK[from.kind]) fail('states only move forward')
  if (from.kind === 'Confirmed' && to.kind === 'Confirmed' && from.height !== to.height) {
    fail('a confirmed spend keeps its block height')
  }
  if (fromTxid !== undefined && !sameTx && !isSpentFinal(to)) fail('locked by another transaction')
  if (from.kind === 'Locked' && to.kind === 'Locked' && sameTx && from.voted && !to.voted) {
    fail('a voted lock stays voted')
  }
}
