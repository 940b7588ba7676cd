/**
 * The epoch's own bars on accepting a transaction, which come before the UTXO set's answer
 * (docs/PROTOCOL.md §17–§18): an input carried across the handoff for another transaction, a
 * frozen input (carried with conflicting transactions), locked masternode collateral (also of a
 * registration no block holds yet), and slashing evidence its epoch's committee cannot judge.
 * Pure: the registry and two lookups answer everything.
 */
import { equalBytes } from '../encoding/bytes.ts'
import { TimeCoinError } from '../errors.ts'
import type { Transaction } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { Registry } from './registry.ts'
import { slashOffender } from './slashing.ts'
import { NO_CONFLICT } from './vote-leaf.ts'

export interface EpochRuleLookups {
  /** A transaction this node knows (to find registrations whose collateral an input spends). */
  readonly known: (txid: Txid) => Transaction | undefined
  /** Whether a block holds `txid`. */
  readonly confirmed: (txid: Txid) => boolean
}

/**
 * Why this epoch forbids accepting `tx`, if it does: the txid an input was carried for (a named
 * conflict), NO_CONFLICT for a frozen input, locked collateral or unjudgeable evidence; else null.
 */
export function epochBar(
  tx: Transaction,
  txid: Txid,
  registry: Registry,
  lookups: EpochRuleLookups,
): Txid | null {
  if (tx.payload.type === 'slash') {
    // Evidence is judged by the committee of its epoch, which must still be known here.
    try {
      slashOffender(tx, (e) => registry.committeeOf(e))
    } catch (e) {
      if (e instanceof TimeCoinError) return NO_CONFLICT
      throw e
    }
  }
  for (const { outpoint } of tx.inputs) {
    const rule = registry.spendRule(outpoint)
    if (rule === 'collateral' || rule === 'frozen') return NO_CONFLICT
    if (rule !== undefined && !equalBytes(rule, txid)) return rule
    // Collateral of a registration no block holds yet is locked too.
    const parent = lookups.known(outpoint.txid)?.payload
    if (
      parent?.type === 'register' &&
      parent.collateralVout === outpoint.vout &&
      !lookups.confirmed(outpoint.txid)
    )
      return NO_CONFLICT
  }
  return null
}
