/**
 * The stateless checks a shell runs on every incoming message before the engine sees it:
 * transaction structure and signatures, vote-batch roots and signatures, certificate signatures.
 * They need only the genesis hash. `messageBundle` throws structure errors at once and returns
 * the signatures to verify, so shells verify them concurrently and natively while the engine stays
 * synchronous and deterministic. Failures are typed errors with peer actions.
 */
import type { Block } from '../consensus/block.ts'
import { certificateSignatureBundle } from '../consensus/certificate.ts'
import { lockReportsBundle } from '../consensus/lock-report.ts'
import { proposalSignatureBundle } from '../consensus/proposal.ts'
import { entriesSignatureBundle } from '../consensus/quorum-proof.ts'
import { slashSignatureBundle } from '../consensus/slashing.ts'
import { voteBatchBundle } from '../consensus/vote-batch.ts'
import type { Ed25519Verifier } from '../crypto/ed25519.ts'
import {
  joinBundles,
  NO_SIGNATURES,
  type SignatureBundle,
  verifyBundle,
} from '../crypto/signature-bundle.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { transactionBundle } from '../ledger/tx-verify.ts'
import { computeTxid, type Transaction } from '../primitives/transaction.ts'
import type { Txid } from '../primitives/txid.ts'
import type { Message } from './messages.ts'

/** A transaction's input and payload signatures, and a slashing transaction's evidence. */
function txBundle(tx: Transaction, txid: Txid, genesisHash: Uint8Array): SignatureBundle {
  return joinBundles([
    transactionBundle(tx, txid, genesisHash),
    slashSignatureBundle(tx, genesisHash),
  ])
}

function blockTransactionBundles(block: Block, genesisHash: Uint8Array): SignatureBundle[] {
  // Carried transactions too: a leader must not invent conflicts to freeze someone's coins.
  return [...block.transactions, ...block.carried].map((tx) =>
    txBundle(tx, computeTxid(tx), genesisHash),
  )
}

export function messageBundle(message: Message, genesisHash: Uint8Array): SignatureBundle {
  switch (message.type) {
    case 'TransactionBroadcast':
    case 'InstantFinalityRequest':
      return txBundle(message.tx, computeTxid(message.tx), genesisHash)
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
      return joinBundles([
        txBundle(message.tx, txid, genesisHash),
        certificateSignatureBundle(message.certificate, genesisHash),
      ])
    }
    case 'TransactionRequest':
    case 'BlockRequest':
      return NO_SIGNATURES
    case 'BlockProposal':
      return joinBundles([
        proposalSignatureBundle(message.proposal, genesisHash),
        ...blockTransactionBundles(message.proposal.block, genesisHash),
      ])
    case 'LockReport': {
      const ids = message.txs.map(computeTxid)
      return joinBundles([
        lockReportsBundle([message.report], genesisHash),
        ...message.txs.map((tx, i) => txBundle(tx, ids[i]!, genesisHash)),
      ])
    }
    case 'BlockCommit':
      return joinBundles([
        entriesSignatureBundle(message.certificate.entries, genesisHash),
        ...blockTransactionBundles(message.block, genesisHash),
      ])
  }
}

export async function preverify(
  message: Message,
  genesisHash: Uint8Array,
  verifier?: Ed25519Verifier,
): Promise<void> {
  return verifyBundle(messageBundle(message, genesisHash), verifier)
}
