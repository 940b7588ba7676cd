/**
 * The chain's UTXO set: the outputs genesis and blocks created and no block spent — what every
 * node holds alike after a given block, unlike its live set (§14 of docs/PROTOCOL.md), which also
 * counts what is only final here. A block header commits to it (`utxoCommitment`, §15.1) and a
 * snapshot is a copy of it in outpoint order (§19.6).
 *
 * Invariants: an entry is in the chain's set exactly when a block or genesis created it (its
 * height is set) and no block spent it (it is not `Confirmed`); `chainStateAfter` adds each output
 * a block creates once and removes each input it spends once, so from the state after block h − 1
 * it gives the state after h — provided every input is in that set or created earlier in the
 * same block, which block validation requires (it never lets a block spend what is only final).
 */
import { LedgerError } from '../errors.ts'
import { compareOutPoints, type OutPoint, outPointToString } from '../primitives/outpoint.ts'
import type { Transaction, TxOutput } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import { LtHash } from './lthash.ts'
import { COMMITMENT_ELEMENT_BYTES, writeOutputElement } from './utxo-codec.ts'
import type { UtxoEntry } from './utxo-state.ts'

/** One output of the chain's set, with the height of the block that created it (0: genesis). */
export interface ChainUtxo {
  readonly outpoint: OutPoint
  readonly output: TxOutput
  readonly height: number
}

/** What a block changes in the chain's set. */
export interface ChainBlockChanges {
  readonly transactions: readonly { readonly tx: Transaction; readonly txid: Txid }[]
  /** `rewardTxid(height, prevHash)`: the reward outputs are (rewardTxid, index). */
  readonly rewardTxid: Txid
  readonly reward: readonly TxOutput[]
}

/** Whether a ledger entry is in the chain's set: created by genesis or a block, unspent by one. */
export function inChain(entry: UtxoEntry): boolean {
  return entry.height !== null && entry.state.kind !== 'Confirmed'
}

/** The chain's set among `entries` (a ledger's), in outpoint order. */
export function chainUtxos(entries: Iterable<UtxoEntry>): ChainUtxo[] {
  const out: ChainUtxo[] = []
  for (const e of entries)
    if (inChain(e)) out.push({ outpoint: e.outpoint, output: e.output, height: e.height! })
  return out.sort((a, b) => compareOutPoints(a.outpoint, b.outpoint))
}

/** The LtHash16 state of a set of outputs (its digest is a header's `utxoCommitment`). */
export function chainUtxoState(
  utxos: Iterable<{ readonly outpoint: OutPoint; readonly output: TxOutput }>,
  into: LtHash = new LtHash(),
): LtHash {
  const element = new Uint8Array(COMMITMENT_ELEMENT_BYTES)
  for (const u of utxos) into.add(writeOutputElement(u.outpoint, u.output, element))
  return into
}

/**
 * The state of the chain's set after a block, from `before` (the state after its parent; left
 * unchanged): its transactions' inputs removed and outputs added in block order, then the reward
 * outputs added. `outputOf` gives an output of the chain's set before the block; an input neither
 * there nor created earlier in the block throws `LEDGER_MISSING_INPUT`.
 */
export function chainStateAfter(
  before: LtHash,
  changes: ChainBlockChanges,
  outputOf: (outpoint: OutPoint) => TxOutput | undefined,
): LtHash {
  const after = before.clone()
  const element = new Uint8Array(COMMITMENT_ELEMENT_BYTES)
  const created = new Map<string, TxOutput>()
  for (const { tx, txid } of changes.transactions) {
    for (const { outpoint } of tx.inputs) {
      const key = outPointToString(outpoint)
      const output = created.get(key) ?? outputOf(outpoint)
      if (output === undefined)
        throw new LedgerError('LEDGER_MISSING_INPUT', `${key} is not in the chain's UTXO set`)
      created.delete(key)
      after.remove(writeOutputElement(outpoint, output, element))
    }
    for (let vout = 0; vout < tx.outputs.length; vout++) {
      const output = tx.outputs[vout]!
      const outpoint = { txid, vout }
      created.set(outPointToString(outpoint), output)
      after.add(writeOutputElement(outpoint, output, element))
    }
  }
  for (let vout = 0; vout < changes.reward.length; vout++)
    after.add(
      writeOutputElement({ txid: changes.rewardTxid, vout }, changes.reward[vout]!, element),
    )
  return after
}
