/**
 * The stateless checks a shell runs on every incoming message before the engine sees it:
 * transaction structure and signatures, vote-batch roots and signatures, certificate signatures.
 * They need only the genesis hash. `messageBundle` throws structure errors at once and returns
 * the signatures to verify, so shells verify them concurrently and natively while the engine stays
 * synchronous and deterministic. Failures are typed errors with peer actions.
 */
import { certificateSignatureBundle } from '../consensus/certificate.ts'
import { voteBatchBundle } from '../consensus/vote-batch.ts'
import type { Ed25519Verifier } from '../crypto/ed25519.ts'
import { type SignatureBundle, verifyBundle } from '../crypto/signature-bundle.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { transactionBundle } from '../ledger/tx-verify.ts'
import { computeTxid } from '../primitives/transaction.ts'
import type { Message } from './messages.ts'

const NOTHING: SignatureBundle = {
  checks: [],
  failure: () => new ConsensusError('BATCH_INVALID', 'no signatures to check'),
}

export function messageBundle(message: Message, genesisHash: Uint8Array): SignatureBundle {
  switch (message.type) {
    case 'TransactionBroadcast':
    case 'InstantFinalityRequest':
      return transactionBundle(message.tx, computeTxid(message.tx), genesisHash)
    case 'InstantFinalityVote':
      return voteBatchBundle(message.batch, genesisHash)
    case 'FinalityCertificate': {
      const txid = computeTxid(message.tx)
      if (!equalBytes(txid, message.certificate.txid)) {
        throw new ConsensusError(
          'CERT_ROOT_MISMATCH',
          'certificate is for another transaction',
          PeerAction.LowToleranceError,
        )
      }
      const tx = transactionBundle(message.tx, txid, genesisHash)
      const cert = certificateSignatureBundle(message.certificate, genesisHash)
      return {
        checks: [...tx.checks, ...cert.checks],
        failure: (i) => (i < tx.checks.length ? tx.failure(i) : cert.failure(i - tx.checks.length)),
      }
    }
    case 'TransactionRequest':
      return NOTHING
  }
}

export async function preverify(
  message: Message,
  genesisHash: Uint8Array,
  verifier?: Ed25519Verifier,
): Promise<void> {
  return verifyBundle(messageBundle(message, genesisHash), verifier)
}
