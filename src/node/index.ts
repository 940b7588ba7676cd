/**
 * The Node entry (`timecoin/node`): the isomorphic core plus Node adapters (LevelDB storage,
 * and later libp2p transports, RPC and the masternode daemon).
 */
export * from '../core/index.ts'
export * from '../core/net/index.ts'
export * from './crypto/index.ts'
export { monotonicClock, nodeTimers } from './engine-ports.ts'
export * from './net/host.ts'
export * from './net/peer-book-file.ts'
export * from './storage/index.ts'
