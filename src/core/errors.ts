/**
 * Typed errors for the whole core. Every error carries a machine `code`; an error a peer
 * could have caused also carries the ban-score action the network layer applies mechanically
 * (Lodestar's named actions, bcoin's VerifyError): no call site judges a peer by hand. Every
 * code, what it means and its JSON-RPC code are listed once, in error-codes.ts.
 */
import type { CodesOf } from './error-codes.ts'

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

export type CryptoErrorCode = CodesOf<'crypto'>

export class CryptoError extends TimeCoinError<CryptoErrorCode> {
  readonly domain = 'crypto'
}

export type EncodingErrorCode = CodesOf<'encoding'>

export class EncodingError extends TimeCoinError<EncodingErrorCode> {
  readonly domain = 'encoding'
}

export type AmountErrorCode = CodesOf<'amount'>

export class AmountError extends TimeCoinError<AmountErrorCode> {
  readonly domain = 'amount'
}

export type AddressErrorCode = CodesOf<'address'>

export class AddressError extends TimeCoinError<AddressErrorCode> {
  readonly domain = 'address'
}

export type TransactionErrorCode = CodesOf<'transaction'>

export class TransactionError extends TimeCoinError<TransactionErrorCode> {
  readonly domain = 'transaction'
}

export type LedgerErrorCode = CodesOf<'ledger'>

export class LedgerError extends TimeCoinError<LedgerErrorCode> {
  readonly domain = 'ledger'
}

export type ConsensusErrorCode = CodesOf<'consensus'>

export class ConsensusError extends TimeCoinError<ConsensusErrorCode> {
  readonly domain = 'consensus'
}

/** A failed handshake (src/core/net/handshake): the connection is closed; a Fatal one also bans. */
export type HandshakeErrorCode = CodesOf<'handshake'>

export class HandshakeError extends TimeCoinError<HandshakeErrorCode> {
  readonly domain = 'handshake'
}

/** A committee link that could not be formed or kept (src/core/net/committee-links). */
export type LinkErrorCode = CodesOf<'link'>

export class LinkError extends TimeCoinError<LinkErrorCode> {
  readonly domain = 'link'
}

/** What a peer did wrong that only the engine's state shows (its messages were well formed). */
export type PeerErrorCode = CodesOf<'peer'>

export class PeerError extends TimeCoinError<PeerErrorCode> {
  readonly domain = 'peer'
}

/** A frame or message breaking a wire-protocol rule above the byte layout (PROTOCOL.md §19). */
export type ProtocolErrorCode = CodesOf<'protocol'>

export class ProtocolError extends TimeCoinError<ProtocolErrorCode> {
  readonly domain = 'protocol'
}

/** A sync request that failed or an answer that is not what was asked (src/core/sync). */
export type SyncErrorCode = CodesOf<'sync'>

export class SyncError extends TimeCoinError<SyncErrorCode> {
  readonly domain = 'sync'
}

export type EvidenceErrorCode = CodesOf<'evidence'>

export class EvidenceError extends TimeCoinError<EvidenceErrorCode> {
  readonly domain = 'evidence'
}

/** A wallet-protocol failure (src/core/net/wallet-service, the light client in src/core/wallet). */
export type WalletErrorCode = CodesOf<'wallet'>

export class WalletError extends TimeCoinError<WalletErrorCode> {
  readonly domain = 'wallet'
}
