/**
 * The node daemon's public face: `startDaemon(settings)` runs a node (what `timecoin masternode`
 * does), `assembleNode(parts)` is its one wiring of engine, host and services (also the network
 * tests'), plus its plain-line logger and the libp2p identity kept in the data directory.
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
export { type LineLoggerOptions, type Logger, lineLogger } from './log.ts'
export {
  MAX_TIMED,
  METRICS_PREFIX,
  type MetricsServer,
  type NodeMetrics,
  nodeMetrics,
  startMetricsServer,
} from './metrics.ts'
export { networkView } from './network-view.ts'
export { type NodeIdentity, nodeIdentity } from './node-identity.ts'
