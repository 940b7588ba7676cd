/**
 * The node daemon's public face: `startDaemon(settings)` runs a node (what `timecoin masternode`
 * does), `assembleNode(parts)` is its one wiring of engine, host and services (also the network
 * tests'), plus its structured log (pino), the sync progress display and the libp2p identity kept
 * in the data directory.
 */
export {
  type AssembledHost,
  type AssembledNode,
  assembleNode,
  type LinkSettings,
  type NodeParts,
  type NodeServices,
} from './assemble.ts'
export { type Daemon, type DaemonOptions, type StopReason, startDaemon } from './daemon.ts'
export {
  componentLog,
  LOG_COMPONENTS,
  LOG_FILE_NAME,
  type LogComponent,
  type Logger,
  type NodeLog,
  type NodeLogOptions,
  nodeLog,
  REDACTED_KEYS,
} from './log.ts'
export {
  MAX_TIMED,
  METRICS_PREFIX,
  type MetricsServer,
  type NodeMetrics,
  type NodeMetricsOptions,
  nodeMetrics,
  startMetricsServer,
} from './metrics.ts'
export { networkView } from './network-view.ts'
export { type NodeIdentity, nodeIdentity } from './node-identity.ts'
export {
  logSync,
  PROGRESS_LOG_EVERY_MS,
  type SyncProgressDisplay,
  type SyncProgressOptions,
  syncProgress,
} from './sync-progress.ts'
