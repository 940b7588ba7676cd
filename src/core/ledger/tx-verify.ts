/**
 * Context-free transaction validity (no UTXO lookups): structure and limits, dust, and every
 * input signature for this network. Stateless and async, so shells run it before a transaction
 * reaches the (synchronous) engine.
 */
import { type Ed25519Verifier, ed25519 } from '../crypto/ed25519.ts'
import { LedgerError, PeerAction } from '../errors.ts'
import { DUST_LIMIT } from '../primitives/amount.ts'
import type { Transaction } from '../primitives/transaction.ts'
import { checkTransactionStructure } from '../primitives/transaction-checks.ts'
import { verifyTransactionSignatures } from '../primitives/transaction-signing.ts'
import type { Txid } from '../primitives/txid.ts'

export async function verifyTransaction(
  tx: Transaction,
  txid: Txid,
  genesisHash: Uint8Array,
  verifier: Ed25519Verifier = ed25519,
): Promise<void> {
  checkTransactionStructure(tx)
  for (const [i, out] of tx.outputs.entries()) {
    if (out.value < DUST_LIMIT) {
      throw new LedgerError(
        'LEDGER_DUST',
        `output ${i} (${out.value} units) is dust`,
        PeerAction.LowToleranceError,
      )
    }
  }
  await verifyTransactionSignatures(tx, genesisHash, txid, verifier)
}
