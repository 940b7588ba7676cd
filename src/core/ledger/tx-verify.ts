/**
 * Context-free transaction validity (no UTXO lookups): structure and limits, dust, every input
 * signature for this network and the payload's proof (registration, deregistration). Stateless,
 * so shells run it before a transaction reaches the (synchronous) engine; `transactionBundle`
 * throws structure errors at once and leaves only the signatures to verify (in one bundle).
 */
import type { Ed25519Verifier } from '../crypto/ed25519.ts'
import { joinBundles, type SignatureBundle, verifyBundle } from '../crypto/signature-bundle.ts'
import { LedgerError, PeerAction } from '../errors.ts'
import { DUST_LIMIT } from '../primitives/amount.ts'
import { payloadSignatureBundle } from '../primitives/payload-signing.ts'
import type { Transaction } from '../primitives/transaction.ts'
import { checkTransactionStructure } from '../primitives/transaction-checks.ts'
import { transactionSignatureBundle } from '../primitives/transaction-signing.ts'
import type { Txid } from '../primitives/txid.ts'

export function transactionBundle(
  tx: Transaction,
  txid: Txid,
  genesisHash: Uint8Array,
): SignatureBundle {
  checkTransactionStructure(tx)
  const { outputs } = tx
  for (let i = 0; i < outputs.length; i++) {
    const out = outputs[i]!
    if (out.value < DUST_LIMIT) {
      throw new LedgerError(
        'LEDGER_DUST',
        `output ${i} (${out.value} units) is dust`,
        PeerAction.LowToleranceError,
      )
    }
  }
  return joinBundles([
    transactionSignatureBundle(tx, genesisHash, txid),
    payloadSignatureBundle(tx, genesisHash),
  ])
}

export async function verifyTransaction(
  tx: Transaction,
  txid: Txid,
  genesisHash: Uint8Array,
  verifier?: Ed25519Verifier,
): Promise<void> {
  return verifyBundle(transactionBundle(tx, txid, genesisHash), verifier)
}
