/**
 * Catching up with the chain (docs/PROTOCOL.md §19.6): the sans-I/O sync client, the checks it
 * runs on every block a peer serves, and UTXO snapshots (taken, cached, assembled). The libp2p
 * side is `src/core/net/sync-service`.
 */
export { checkSyncedBlock, type SyncTip } from './block-check.ts'
export { ChainSnapshot, MAX_SNAPSHOT_CHUNKS, SnapshotAssembly, SnapshotCache } from './snapshot.ts'
export {
  decodeSnapshotStage,
  discardSnapshotRecords,
  encodeSnapshotStage,
  openSnapshotStage,
  type SnapshotStage,
  type StagedSnapshot,
} from './snapshot-store.ts'
export {
  DEFAULT_MAX_SYNC_PEERS,
  type SnapshotInstall,
  type SyncAction,
  SyncClient,
  type SyncClientInit,
  type SyncEvent,
  type SyncMode,
  type SyncProgress,
} from './sync-client.ts'
