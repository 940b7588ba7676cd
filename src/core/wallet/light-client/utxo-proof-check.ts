/**
 * What a light client checks, alone, about one output a masternode reports (docs/PROTOCOL.md
 * §19.5): that the proof backs the state — a finality certificate or a certified block with the
 * transaction's Merkle path for a spend, the same or a certified block's reward for a creation —
 * against the committee of the proof's own epoch. Everything but the signatures is checked here,
 * synchronously; the signatures come back as one bundle for the caller to verify (natively, off
 * the state machine).
 *
 * Invariants: a final state (SpentFinalized, Confirmed) is never accepted without a proof of the
 * spend by the very txid it names; a Confirmed state only with a block of its height; a proof is
 * checked against the committee of the epoch its certificate names, never another.
 */
import {
  type BlockHeader,
  blockHash,
  rewardHash,
  rewardTxid,
  TX_LEAF_PREFIX,
} from '../../consensus/block.ts'
import { type BlockCertificate, checkBlockCertificate } from '../../consensus/block-certificate.ts'
import { certificateSignatureBundle, checkCertificate } from '../../consensus/certificate.ts'
import type { Committee } from '../../consensus/committee.ts'
import { rootFromPath } from '../../consensus/merkle.ts'
import { entriesSignatureBundle } from '../../consensus/quorum-proof.ts'
import { sha256 } from '../../crypto/sha256.ts'
import { NO_SIGNATURES, type SignatureBundle } from '../../crypto/signature-bundle.ts'
import { concatBytes, equalBytes } from '../../encoding/bytes.ts'
import { PeerAction, WalletError } from '../../errors.ts'
import { outPointToString } from '../../primitives/outpoint.ts'
import { computeTxid, type Transaction, type TxOutput } from '../../primitives/transaction.ts'
import type { UtxoProof, WalletUtxo } from '../../protocol/utxo-proofs.ts'

function invalid(utxo: WalletUtxo, why: string): never {
  throw new WalletError(
    'WALLET_PROOF_INVALID',
    `${outPointToString(utxo.outpoint)} (${utxo.state.kind}): ${why}`,
    PeerAction.LowToleranceError,
  )
}

/** Whether the state says the output is spent for good. */
export function isFinalState(utxo: WalletUtxo): boolean {
  return utxo.state.kind === 'SpentFinalized' || utxo.state.kind === 'Confirmed'
}

/** The epoch whose committee checks `proof`, or null for a proof with no certificate. */
export function proofEpoch(proof: UtxoProof): number | null {
  switch (proof.kind) {
    case 'none':
      return null
    case 'finality':
      return proof.certificate.epoch
    case 'inclusion':
    case 'reward':
      return proof.blockCertificate.epoch
  }
}

function sameOutput(a: TxOutput | undefined, b: TxOutput): boolean {
  return a !== undefined && a.value === b.value && equalBytes(a.address, b.address)
}

/**
 * What the transaction behind a finality or inclusion proof must do for this output: spend it,
 * by the txid a final state names, or — for a state that is not final — create it, with this
 * value and address.
 */
function checkBinding(utxo: WalletUtxo, tx: Transaction): void {
  const txid = computeTxid(tx)
  const { outpoint, state } = utxo
  if (isFinalState(utxo)) {
    if (state.kind === 'Unspent' || !equalBytes(state.txid, txid))
      invalid(utxo, 'the proof is for another transaction than the spender')
    const spends = tx.inputs.some(
      (i) => i.outpoint.vout === outpoint.vout && equalBytes(i.outpoint.txid, outpoint.txid),
    )
    if (!spends) invalid(utxo, 'the proven transaction does not spend the output')
    return
  }
  if (!equalBytes(outpoint.txid, txid) || !sameOutput(tx.outputs[outpoint.vout], utxo.output))
    invalid(utxo, 'the proven transaction does not create this output')
}

/** The block certificate is for this header and its epoch, with a quorum of `committee`. */
function checkCertifiedHeader(
  utxo: WalletUtxo,
  header: BlockHeader,
  certificate: BlockCertificate,
  committee: Committee,
): void {
  if (
    certificate.height !== header.height ||
    certificate.epoch !== header.epoch ||
    !equalBytes(certificate.blockHash, blockHash(header))
  )
    invalid(utxo, 'the block certificate is for another block')
  checkBlockCertificate(certificate, committee)
}

/**
 * Checks `utxo`'s proof against `committee` (C of `proofEpoch(utxo.proof)`; null when the proof
 * has none) and returns the signatures still to verify. Throws WALLET_PROOF_MISSING for a final
 * state without a proof, WALLET_PROOF_INVALID for a proof that does not back the output, or the
 * certificate's own ConsensusError.
 */
export function checkUtxoProof(
  utxo: WalletUtxo,
  committee: Committee | null,
  genesisHash: Uint8Array,
): SignatureBundle {
  const { proof } = utxo
  if (proof.kind === 'none') {
    if (isFinalState(utxo))
      throw new WalletError(
        'WALLET_PROOF_MISSING',
        `${outPointToString(utxo.outpoint)} is ${utxo.state.kind} without a proof`,
        PeerAction.LowToleranceError,
      )
    return NO_SIGNATURES
  }
  if (committee === null || committee.epoch !== proofEpoch(proof))
    throw new RangeError('checkUtxoProof needs the committee of the proof epoch')
  switch (proof.kind) {
    case 'finality': {
      if (utxo.state.kind === 'Confirmed') invalid(utxo, 'a confirmation needs its block')
      if (!equalBytes(proof.certificate.txid, computeTxid(proof.tx)))
        invalid(utxo, 'the certificate is for another transaction')
      checkBinding(utxo, proof.tx)
      checkCertificate(proof.certificate, committee)
      return certificateSignatureBundle(proof.certificate, genesisHash)
    }
    case 'inclusion': {
      const { header } = proof
      if (utxo.state.kind === 'Confirmed' && utxo.state.height !== header.height)
        invalid(utxo, `confirmed at ${utxo.state.height}, the proof is block ${header.height}`)
      checkBinding(utxo, proof.tx)
      const leaf = sha256(concatBytes(Uint8Array.of(TX_LEAF_PREFIX), computeTxid(proof.tx)))
      const root = rootFromPath(leaf, proof.index, proof.count, proof.path)
      if (root === null || !equalBytes(root, header.txRoot))
        invalid(utxo, "the transaction's path does not reach the block's root")
      checkCertifiedHeader(utxo, header, proof.blockCertificate, committee)
      return entriesSignatureBundle(proof.blockCertificate.entries, genesisHash)
    }
    case 'reward': {
      const { header } = proof
      if (isFinalState(utxo)) invalid(utxo, 'a reward proves a creation, not a spend')
      if (!equalBytes(utxo.outpoint.txid, rewardTxid(header.height, header.prevHash)))
        invalid(utxo, "the output is not of the block's reward")
      if (!equalBytes(rewardHash(proof.reward), header.rewardHash))
        invalid(utxo, "the reward outputs do not hash to the block's rewardHash")
      if (!sameOutput(proof.reward[utxo.outpoint.vout], utxo.output))
        invalid(utxo, 'the block pays another reward output there')
      checkCertifiedHeader(utxo, header, proof.blockCertificate, committee)
      return entriesSignatureBundle(proof.blockCertificate.entries, genesisHash)
    }
  }
}
