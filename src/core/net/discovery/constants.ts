/**
 * Discovery's defaults (docs/PROTOCOL.md §22, docs/ARCHITECTURE.md §7). Each is a setting
 * (`DiscoveryInit`, `AddressBookOptions`); tests shorten the timers.
 */

/** Peers kept in the book; when full, the worst (most failures, then oldest) goes first. */
export const DEFAULT_BOOK_ENTRIES = 2_048

/** Handshaken relay peers (masternodes and full nodes) a node dials until it has. */
export const DEFAULT_TARGET_PEERS = 8

/** Dials in flight at once. */
export const DEFAULT_MAX_PARALLEL_DIALS = 4

/** How often the dialler looks at its peer count. */
export const DEFAULT_DIAL_INTERVAL_MS = 1_000

/** A dial, its handshake, and a peer-exchange request each get this long. */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000

/** A book entry whose dials failed this many times in a row is forgotten. */
export const DEFAULT_MAX_FAILURES = 10

/** One peer is asked for addresses at most this often. */
export const DEFAULT_EXCHANGE_INTERVAL_MS = 10 * 60_000

/** An answer names only peers seen within this long (and with fewer than two failures). */
export const DEFAULT_ANSWER_MAX_AGE_MS = 24 * 60 * 60_000

/** Failures from which a peer is no longer handed to others. */
export const SHARE_MAX_FAILURES = 2

/** The book is written at most this often (and when the service stops), if it changed. */
export const DEFAULT_SAVE_INTERVAL_MS = 30_000

/** Peer-exchange streams one connection may have open at once, each way. */
export const MAX_EXCHANGE_STREAMS = 2
