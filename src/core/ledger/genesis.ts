/**
 * The genesis allocation: outputs created at height 0 under one fixed txid, with no inputs and no
 * signatures, so no transaction rule ever looks at them. They are held to the rules of a
 * transaction's outputs (docs/PROTOCOL.md §4) here instead: each value in [1, MAX_AMOUNT], each
 * address a 20-byte payload, and the total at most MAX_AMOUNT — no sum of genesis outputs leaves
 * the amount range. A store is only ever created from an allocation that passes.
 */
import { LedgerError } from '../errors.ts'
import { MAX_AMOUNT } from '../primitives/amount.ts'
import type { TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'

export interface GenesisAllocation {
  readonly txid: Txid
  readonly outputs: readonly TxOutput[]
}

function invalid(message: string): never {
  throw new LedgerError('LEDGER_GENESIS_INVALID', `genesis allocation: ${message}`)
}

/** Throws LEDGER_GENESIS_INVALID for the first broken rule; returns the allocation's total. */
export function checkGenesisAllocation(genesis: GenesisAllocation): bigint {
  if (!(genesis.txid instanceof Uint8Array) || genesis.txid.length !== 32)
    invalid('the txid must be 32 bytes')
  let total = 0n
  for (const [i, o] of genesis.outputs.entries()) {
    if (typeof o.value !== 'bigint' || o.value < 1n || o.value > MAX_AMOUNT)
      invalid(`output ${i} value ${o.value} not in [1, ${MAX_AMOUNT}]`)
    if (!(o.address instanceof Uint8Array) || o.address.length !== 20)
      invalid(`output ${i} address must be a 20-byte payload`)
    total += o.value
    if (total > MAX_AMOUNT) invalid(`outputs 0…${i} already total ${total} > ${MAX_AMOUNT}`)
  }
  return total
}
