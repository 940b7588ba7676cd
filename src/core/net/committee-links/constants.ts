/**
 * The committee links' defaults (DESIGN §5). Each is a setting (`CommitteeLinksInit`); tests
 * shorten the timers, the daemon derives the reserved share from `maxconnections`.
 */
import { PROTOCOLS } from '../../protocol/protocols.ts'

/** Re-dial backoff: 1, 2, 4, 8, 16, then 32 s between attempts. */
export const DEFAULT_BACKOFF_MIN_MS = 1_000
export const DEFAULT_BACKOFF_MAX_MS = 32_000

/** A dial, a stream opening or a write's drain slower than this counts as a broken link. */
export const DEFAULT_LINK_TIMEOUT_MS = PROTOCOLS.consensus.timeoutMs

/**
 * The side with the higher masternode key waits this long for the other side's stream before it
 * opens one itself (the lower key opens the link; see `CommitteeLinks`).
 */
export const DEFAULT_ACCEPT_WAIT_MS = 2_000

/** Every connected member is pinged this often; a ping gets this long to answer. */
export const DEFAULT_PING_INTERVAL_MS = 10_000
export const DEFAULT_PING_TIMEOUT_MS = 5_000
/** Consecutive failed pings after which a link counts as dead: closed and re-dialled. */
export const DEFAULT_MAX_PING_FAILURES = 2

/**
 * Bytes waiting per link before frames are dropped (oldest non-essential first). Sixteen MiB holds
 * tens of thousands of votes and requests; a single larger frame (a proposal) is still taken alone.
 */
export const DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024

/** Most bytes gathered into one stream write (frames queued in one turn share a write). */
export const DEFAULT_MAX_WRITE_BYTES = 256 * 1024

/**
 * Links held for masternodes outside the committee (a standby or next-epoch member, the last
 * epoch's members): inbound only, never dialled, at most this many.
 */
export const DEFAULT_MAX_GUEST_LINKS = 64

/** The share of `maxConnections` kept for committee members (DESIGN §5: 40%). */
export const DEFAULT_RESERVED_SHARE = 0.4

/**
 * The connection-manager tag on committee peers: the pruner closes the lowest-valued connections
 * first, so wallets go before members. Not libp2p's `KEEP_ALIVE` prefix: its reconnect queue gives
 * up after a few retries and then strips the tag, and would race this service's own backoff.
 */
export const COMMITTEE_TAG = 'timecoin-committee'
/** The highest tag value libp2p allows. */
export const COMMITTEE_TAG_VALUE = 100

/** Streams per connection on the consensus protocol: one link, plus one replacing it. */
export const MAX_LINK_STREAMS_PER_CONNECTION = 4
