/**
 * Proofs of possession for special transactions. The masternode key signs
 *   register:   "TIMECOIN/mn-register/v1"   ‖ genesisHash ‖ firstOutpoint (36) ‖ u8 tierCode ‖ u16le collateralVout
 *   deregister: "TIMECOIN/mn-deregister/v1" ‖ genesisHash ‖ firstOutpoint (36) ‖ masternodeKey
 * where firstOutpoint is the outpoint of the transaction's input 0. That outpoint can be spent only
 * once, so a proof is never valid in a second transaction; it does not cover the txid (the proof
 * is part of the txid's preimage), so there is no circularity.
 */
import { DomainTags } from '../crypto/domain.ts'
import { getPublicKey, PUBLIC_KEY_LENGTH, sign } from '../crypto/ed25519.ts'
import { domainMessage, HASH_LENGTH } from '../crypto/sha256.ts'
import { NO_SIGNATURES, type SignatureBundle } from '../crypto/signature-bundle.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { EncodingError, PeerAction, TransactionError } from '../errors.ts'
import { type OutPoint, OutPointCodec } from './outpoint.ts'
import type { DeregisterPayload, RegisterPayload, TxPayload } from './payload.ts'
import { type RegistrableTier, TIER_CODES } from './tier.ts'
import type { UnsignedTransaction } from './transaction.ts'

/** What a proof commits to besides its payload: the outpoint of input 0. */
export interface ProofSubject<T> {
  readonly inputs: readonly { readonly outpoint: OutPoint }[]
  readonly payload: T
}

function checkGenesis(genesisHash: Uint8Array): void {
  if (!(genesisHash instanceof Uint8Array) || genesisHash.length !== HASH_LENGTH) {
    throw new EncodingError('INVALID_VALUE', `genesis hash must be ${HASH_LENGTH} bytes`)
  }
}

export function registrationMessage(
  genesisHash: Uint8Array,
  firstOutpoint: OutPoint,
  tier: RegistrableTier,
  collateralVout: number,
): Uint8Array {
  checkGenesis(genesisHash)
  if (typeof tier !== 'string' || !Object.hasOwn(TIER_CODES, tier)) {
    throw new EncodingError('INVALID_VALUE', `tier ${String(tier)} cannot be registered`)
  }
  if (!Number.isInteger(collateralVout) || collateralVout < 0 || collateralVout > 0xffff) {
    throw new EncodingError('OUT_OF_RANGE', `collateral vout must be a u16, got ${collateralVout}`)
  }
  const vout = Uint8Array.of(collateralVout & 0xff, collateralVout >>> 8)
  return domainMessage(
    DomainTags.registration,
    genesisHash,
    OutPointCodec.encode(firstOutpoint),
    Uint8Array.of(TIER_CODES[tier]),
    vout,
  )
}

export function deregistrationMessage(
  genesisHash: Uint8Array,
  firstOutpoint: OutPoint,
  masternodeKey: Uint8Array,
): Uint8Array {
  checkGenesis(genesisHash)
  if (!(masternodeKey instanceof Uint8Array) || masternodeKey.length !== PUBLIC_KEY_LENGTH) {
    throw new EncodingError('INVALID_VALUE', `masternode key must be ${PUBLIC_KEY_LENGTH} bytes`)
  }
  return domainMessage(
    DomainTags.deregistration,
    genesisHash,
    OutPointCodec.encode(firstOutpoint),
    masternodeKey,
  )
}

function firstOutpoint(tx: ProofSubject<unknown>, peerAction?: PeerAction): OutPoint {
  const first = tx.inputs[0]
  if (first === undefined) {
    throw new TransactionError('TX_NO_INPUTS', 'a proof needs the first input', peerAction)
  }
  return first.outpoint
}

function checkSigner(masternodeSecretKey: Uint8Array, masternodeKey: Uint8Array): void {
  if (!equalBytes(getPublicKey(masternodeSecretKey), masternodeKey)) {
    throw new TransactionError(
      'TX_KEY_MISMATCH',
      "the secret key does not match the payload's masternode key",
    )
  }
}

type ProvenPayload = Omit<RegisterPayload, 'proof'> | Omit<DeregisterPayload, 'proof'>

/** The message a registration or deregistration proof signs (see the top of this file). */
function proofMessage(
  tx: ProofSubject<ProvenPayload>,
  genesisHash: Uint8Array,
  peerAction?: PeerAction,
): Uint8Array {
  const outpoint = firstOutpoint(tx, peerAction)
  const p = tx.payload
  return p.type === 'register'
    ? registrationMessage(genesisHash, outpoint, p.tier, p.collateralVout)
    : deregistrationMessage(genesisHash, outpoint, p.masternodeKey)
}

function prove(
  tx: ProofSubject<ProvenPayload>,
  masternodeSecretKey: Uint8Array,
  genesisHash: Uint8Array,
): Uint8Array {
  checkSigner(masternodeSecretKey, tx.payload.masternodeKey)
  return sign(proofMessage(tx, genesisHash), masternodeSecretKey)
}

/**
 * The proof of a registration: the masternode key's signature over registrationMessage. `tx`
 * needs only its inputs (input 0 is bound) and the payload without its proof.
 */
export function signRegistration(
  tx: ProofSubject<Omit<RegisterPayload, 'proof'>>,
  masternodeSecretKey: Uint8Array,
  genesisHash: Uint8Array,
): Uint8Array {
  return prove(tx, masternodeSecretKey, genesisHash)
}

/** The proof of a deregistration: the masternode key's signature over deregistrationMessage. */
export function signDeregistration(
  tx: ProofSubject<Omit<DeregisterPayload, 'proof'>>,
  masternodeSecretKey: Uint8Array,
  genesisHash: Uint8Array,
): Uint8Array {
  return prove(tx, masternodeSecretKey, genesisHash)
}

/**
 * `unsigned` with its registration or deregistration proof filled in (whatever `proof` held
 * before is ignored). Call it before signTransaction: the proof is part of the txid's preimage.
 */
export function provePayload(
  unsigned: UnsignedTransaction,
  masternodeSecretKey: Uint8Array,
  genesisHash: Uint8Array,
): UnsignedTransaction {
  const payload = unsigned.payload
  if (payload.type !== 'register' && payload.type !== 'deregister')
    throw new TransactionError('TX_PAYLOAD', `a ${payload.type} payload carries no proof`)
  const proof = prove({ inputs: unsigned.inputs, payload }, masternodeSecretKey, genesisHash)
  return { ...unsigned, payload: { ...payload, proof } }
}

/**
 * The payload's proof as a bundle (see crypto/signature-bundle.ts): one check for a registration
 * or deregistration, none for a payment or slashing evidence. Transaction verification verifies
 * it together with the input signatures.
 */
export function payloadSignatureBundle(
  tx: ProofSubject<TxPayload>,
  genesisHash: Uint8Array,
): SignatureBundle {
  const payload = tx.payload
  if (payload.type !== 'register' && payload.type !== 'deregister') return NO_SIGNATURES
  const message = proofMessage(
    { inputs: tx.inputs, payload },
    genesisHash,
    PeerAction.LowToleranceError,
  )
  return {
    checks: [{ signature: payload.proof, message, publicKey: payload.masternodeKey }],
    failure: () =>
      new TransactionError(
        'TX_PAYLOAD_SIGNATURE',
        `${payload.type === 'register' ? 'registration' : 'deregistration'} proof does not verify on this network`,
        PeerAction.LowToleranceError,
      ),
  }
}
