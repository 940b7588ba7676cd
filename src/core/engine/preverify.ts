/**
 * The stateless, asynchronous checks a shell runs on every incoming message before the engine
 * sees it: transaction structure and signatures, vote-batch roots and signatures, certificate
 * signatures. They need only the genesis hash, so they can run concurrently (and natively) while
 * the engine stays synchronous and deterministic. Failures are typed errors with peer actions.
 */
import { verifyCertificateSignatures } from '../consensus/certificate.ts'
import { verifyVoteBatch } from '../consensus/vote-batch.ts'
import { type Ed25519Verifier, ed25519 } from '../crypto/ed25519.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { verifyTransaction } from '../ledger/tx-verify.ts'
import { computeTxid } from '../primitives/transaction.ts'
import type { Message } from './messages.ts'

export async function preverify(
  message: Message,
  genesisHash: Uint8Array,
  verifier: Ed25519Verifier = ed25519,
): Promise<void> {
  switch (message.type) {
    case 'TransactionBroadcast':
    case 'InstantFinalityRequest':
      return verifyTransaction(message.tx, computeTxid(message.tx), genesisHash, verifier)
    case 'InstantFinalityVote':
      return verifyVoteBatch(message.batch, genesisHash, verifier)
    case 'FinalityCertificate': {
      const txid = computeTxid(message.tx)
      if (!equalBytes(txid, message.certificate.txid)) {
        throw new ConsensusError(
          'CERT_ROOT_MISMATCH',
          'certificate is for another transaction',
          PeerAction.LowToleranceError,
        )
      }
      await verifyTransaction(message.tx, txid, genesisHash, verifier)
      return verifyCertificateSignatures(message.certificate, genesisHash, verifier)
    }
    case 'TransactionRequest':
      return
  }
}
