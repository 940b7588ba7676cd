/**
 * Typed errors for the whole core. Every error carries a machine `code`; an error a peer
 * could have caused also carries the ban-score action the network layer applies mechanically
 * (Lodestar's named actions, bcoin's VerifyError): no call site judges a peer by hand.
 */

/** What a peer's bad input costs it. `Fatal` disconnects and bans at once. */
export const PeerAction = {
  Fatal: 'fatal',
  LowToleranceError: 'low-tolerance',
  MidToleranceError: 'mid-tolerance',
  HighToleranceError: 'high-tolerance',
} as const
export type PeerAction = (typeof PeerAction)[keyof typeof PeerAction]

export abstract class TimeCoinError<Code extends string = string> extends Error {
  abstract readonly domain: string
  readonly code: Code
  /** Present when a peer may have caused the error; absent for local misuse. */
  readonly peerAction: PeerAction | undefined

  constructor(code: Code, message: string, peerAction?: PeerAction, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.peerAction = peerAction
    this.name = new.target.name
  }
}

export type CryptoErrorCode =
  | 'PUBLIC_KEY_LENGTH'
  /** A key that is not the canonical encoding of its point (y ≥ p, or x = 0 signed negative). */
  | 'PUBLIC_KEY_NOT_CANONICAL'
  /** A key of small order: one of the eight torsion points, which "sign" for anyone under ZIP215. */
  | 'PUBLIC_KEY_SMALL_ORDER'
  | 'SECRET_KEY_LENGTH'
  | 'SIGNATURE_LENGTH'
  | 'SIGNATURE_S_NOT_CANONICAL'
  | 'SIGNATURE_INVALID'

export class CryptoError extends TimeCoinError<CryptoErrorCode> {
  readonly domain = 'crypto'
}

export type EncodingErrorCode =
  | 'TRUNCATED'
  | 'TRAILING_BYTES'
  | 'OUT_OF_RANGE'
  | 'LIMIT_EXCEEDED'
  | 'INVALID_VALUE'
  | 'HEX'

export class EncodingError extends TimeCoinError<EncodingErrorCode> {
  readonly domain = 'encoding'
}

export type AmountErrorCode =
  | 'AMOUNT_FORMAT'
  | 'AMOUNT_PRECISION'
  | 'AMOUNT_NEGATIVE'
  | 'AMOUNT_OVERFLOW'

export class AmountError extends TimeCoinError<AmountErrorCode> {
  readonly domain = 'amount'
}

export type AddressErrorCode =
  | 'ADDRESS_PREFIX'
  | 'ADDRESS_NETWORK'
  | 'ADDRESS_BASE58'
  | 'ADDRESS_LENGTH'
  | 'ADDRESS_CHECKSUM'

export class AddressError extends TimeCoinError<AddressErrorCode> {
  readonly domain = 'address'
}

export type TransactionErrorCode =
  | 'TX_NO_INPUTS'
  | 'TX_NO_OUTPUTS'
  | 'TX_TOO_MANY_INPUTS'
  | 'TX_TOO_MANY_OUTPUTS'
  | 'TX_TOO_LARGE'
  | 'TX_DUPLICATE_INPUT'
  | 'TX_OUTPUT_VALUE'
  | 'TX_OUTPUT_TOTAL'
  | 'TX_VERSION'
  | 'TX_INPUT_INDEX'
  | 'TX_SIGNATURE'
  | 'TX_KEY_MISMATCH'
  /** An input's key or a masternode key is not strong (docs/PROTOCOL.md §3.1; cause: why). */
  | 'TX_WEAK_KEY'
  /** A special-transaction payload breaks a context-free rule (e.g. collateral output). */
  | 'TX_PAYLOAD'
  /** A registration or deregistration proof does not verify for this network. */
  | 'TX_PAYLOAD_SIGNATURE'

export class TransactionError extends TimeCoinError<TransactionErrorCode> {
  readonly domain = 'transaction'
}

export type LedgerErrorCode =
  /** An input's outpoint is not in the UTXO set (a parent not seen yet: defer, don't reject). */
  | 'LEDGER_MISSING_INPUT'
  /** An input is locked or spent by another, named transaction. */
  | 'LEDGER_CONFLICT'
  /** An input's public key does not hash to the address its output pays to. */
  | 'LEDGER_INPUT_KEY'
  | 'LEDGER_INSUFFICIENT_FUNDS'
  | 'LEDGER_FEE_TOO_LOW'
  | 'LEDGER_DUST'
  /** A state change that would move backwards or skip the lock (a bug or a bad certificate). */
  | 'LEDGER_TRANSITION'
  /** Two certificates for conflicting transactions: more than a third of weight is Byzantine. */
  | 'LEDGER_DOUBLE_FINALITY'
  | 'LEDGER_UNKNOWN_TX'
  | 'MEMPOOL_FULL'
  | 'MEMPOOL_DUPLICATE'
  /** A genesis allocation with a bad output or outputs totalling more than MAX_AMOUNT. */
  | 'LEDGER_GENESIS_INVALID'

export class LedgerError extends TimeCoinError<LedgerErrorCode> {
  readonly domain = 'ledger'
}

export type ConsensusErrorCode =
  | 'COMMITTEE_INVALID'
  /** A member weight or a committee's total weight above its bound (committee.ts). */
  | 'COMMITTEE_WEIGHT_LIMIT'
  | 'MERKLE_EMPTY'
  | 'MERKLE_INDEX'
  | 'BATCH_INVALID'
  | 'BATCH_SIGNATURE'
  | 'CERT_EPOCH_MISMATCH'
  | 'CERT_MIXED_EPOCHS'
  | 'CERT_STALE_EPOCH'
  | 'CERT_UNKNOWN_VOTER'
  | 'CERT_DUPLICATE_VOTER'
  /** An entry's voter key is not strong (docs/PROTOCOL.md §3.1; cause: why). */
  | 'CERT_VOTER_KEY'
  | 'CERT_LEAF_INDEX'
  | 'CERT_PATH_LENGTH'
  | 'CERT_ROOT_MISMATCH'
  | 'CERT_SIGNATURE'
  | 'CERT_INSUFFICIENT_WEIGHT'
  | 'BLOCK_INVALID'
  | 'PROPOSAL_INVALID'
  | 'LOCK_REPORT_INVALID'
  | 'REGISTRY_INVALID'
  | 'COMMITTEE_PROOF_INVALID'

export class ConsensusError extends TimeCoinError<ConsensusErrorCode> {
  readonly domain = 'consensus'
}

export type EvidenceErrorCode = 'EVIDENCE_INVALID'

export class EvidenceError extends TimeCoinError<EvidenceErrorCode> {
  readonly domain = 'evidence'
}
