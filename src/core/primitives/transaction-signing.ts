/**
 * Input signatures. Input i signs "TIMECOIN/tx-input/v1" ‖ genesisHash ‖ txid ‖ u32le(i): bound
 * to one network (by genesis hash, not name), one transaction and one input position.
 */
import { DomainTags } from '../crypto/domain.ts'
import { type Ed25519Verifier, ed25519, getPublicKey, sign } from '../crypto/ed25519.ts'
import { domainMessage, HASH_LENGTH } from '../crypto/sha256.ts'
import { type SignatureBundle, verifyBundle } from '../crypto/signature-bundle.ts'
import { equalBytes, u32le } from '../encoding/bytes.ts'
import { EncodingError, PeerAction, TransactionError } from '../errors.ts'
import { computeTxid, type Transaction, type UnsignedTransaction } from './transaction.ts'
import type { Txid } from './txid.ts'

export function inputSigningMessage(
  genesisHash: Uint8Array,
  txid: Txid,
  inputIndex: number,
): Uint8Array {
  if (genesisHash.length !== HASH_LENGTH) {
    throw new EncodingError('INVALID_VALUE', `genesis hash must be ${HASH_LENGTH} bytes`)
  }
  return domainMessage(DomainTags.txInput, genesisHash, txid, u32le(inputIndex))
}

/**
 * Signs every input with the secret key at the same index. Each key must match the input's
 * declared public key, so a wallet never produces a transaction that cannot verify.
 */
export function signTransaction(
  unsigned: UnsignedTransaction,
  secretKeys: readonly Uint8Array[],
  genesisHash: Uint8Array,
): Transaction {
  if (secretKeys.length !== unsigned.inputs.length) {
    throw new TransactionError(
      'TX_INPUT_INDEX',
      `need one secret key per input: ${unsigned.inputs.length} inputs, ${secretKeys.length} keys`,
    )
  }
  const txid = computeTxid(unsigned)
  const inputs = unsigned.inputs.map((input, i) => {
    const secretKey = secretKeys[i]!
    if (!equalBytes(getPublicKey(secretKey), input.publicKey)) {
      throw new TransactionError(
        'TX_KEY_MISMATCH',
        `secret key ${i} does not match input ${i}'s public key`,
      )
    }
    return {
      outpoint: input.outpoint,
      publicKey: input.publicKey,
      signature: sign(inputSigningMessage(genesisHash, txid, i), secretKey),
    }
  })
  return { ...unsigned, inputs }
}

/** The input signatures of `tx` as a bundle (see crypto/signature-bundle.ts). */
export function transactionSignatureBundle(
  tx: Transaction,
  genesisHash: Uint8Array,
  txid: Txid = computeTxid(tx),
): SignatureBundle {
  return {
    checks: tx.inputs.map((input, i) => ({
      signature: input.signature,
      message: inputSigningMessage(genesisHash, txid, i),
      publicKey: input.publicKey,
    })),
    failure: (i) =>
      new TransactionError(
        'TX_SIGNATURE',
        `input ${i}: signature does not verify`,
        PeerAction.LowToleranceError,
      ),
  }
}

/**
 * Verifies every input signature (batched). Resolves when all are valid; otherwise rejects with
 * a TransactionError naming the first bad input.
 */
export async function verifyTransactionSignatures(
  tx: Transaction,
  genesisHash: Uint8Array,
  txid: Txid = computeTxid(tx),
  verifier: Ed25519Verifier = ed25519,
): Promise<void> {
  return verifyBundle(transactionSignatureBundle(tx, genesisHash, txid), verifier)
}
