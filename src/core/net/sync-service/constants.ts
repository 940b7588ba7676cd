/**
 * Defaults of the sync service (docs/PROTOCOL.md §19.6, docs/ARCHITECTURE.md §7 "Sync"). Every
 * one is a setting of `SyncServiceInit`; each bounds something a peer could otherwise make grow.
 */

/** Streams one connection may have open on the sync protocol at once (each: one request). */
export const MAX_INBOUND_SYNC_STREAMS = 4
/** Encoded block bytes one range answer carries at most (at least one block is always sent). */
export const DEFAULT_MAX_ANSWER_BYTES = 8 * 1024 * 1024
/** Snapshots a node keeps serving at once (each is one sorted copy of its UTXO set's entries). */
export const DEFAULT_MAX_SNAPSHOTS = 2
/** A kept snapshot is dropped this long after the last chunk request for it. */
export const DEFAULT_SNAPSHOT_KEEP_MS = 120_000
/** How often the peers' tips are asked again (to follow the chain once caught up). */
export const DEFAULT_STATUS_EVERY_MS = 2_000
/** Mempool entries sent to a committee member when a link to it comes up (certificates first). */
export const DEFAULT_MAX_PUSH = 4_096
/** How often the engine's tip is looked at while blocks handed to it are being applied. */
export const APPLY_POLL_MS = 5
