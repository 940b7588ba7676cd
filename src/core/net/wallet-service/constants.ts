/**
 * The wallet service's defaults (DESIGN §5, docs/PROTOCOL.md §19.5). Each is a setting
 * (`WalletServiceInit`); tests shrink them to hit the limits.
 */
import { PROTOCOLS } from '../../protocol/protocols.ts'
import { MAX_WALLET_ADDRESSES } from '../../protocol/wallet-messages.ts'

/**
 * Wallet streams served at once (one per wallet peer). DESIGN §9's fan-out target is 1,000
 * subscribers; the host's `maxConnections` (less the committee's reserved 40%) must leave room.
 */
export const DEFAULT_MAX_WALLETS = 1_000

/** Addresses one wallet stream may watch: one subscribe's worth. */
export const DEFAULT_MAX_ADDRESSES_PER_WALLET = MAX_WALLET_ADDRESSES

/**
 * Bytes of answers and pushes queued for one wallet before it counts as too slow and its stream
 * is reset. A push is a few hundred bytes to a few kilobytes (a certificate, a block path); one
 * frame larger than the bound is still taken when the queue is empty.
 */
export const DEFAULT_MAX_WALLET_QUEUE_BYTES = 4 * 1024 * 1024

/** A write that does not drain within this long resets the stream (the protocol's 30 s). */
export const DEFAULT_WALLET_TIMEOUT_MS = PROTOCOLS.wallet.timeoutMs

/** Requests of one wallet being answered at once; past it the stream is not read. */
export const DEFAULT_MAX_PENDING_REQUESTS = 16

/** Transactions remembered as announced (`NewTransactionNotification` is sent once each). */
export const ANNOUNCED_TRANSACTIONS = 4_096

/** Wallet streams per connection: one, plus one replacing it. */
export const MAX_WALLET_STREAMS_PER_CONNECTION = 2

/** Decoded blocks (with their transaction trees) kept to build Merkle paths. */
export const PROOF_BLOCK_CACHE = 8
