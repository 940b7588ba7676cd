/**
 * The Node entry (`timecoin/node`): the isomorphic core plus Node adapters — LevelDB storage, the
 * libp2p host, settings, the data directory, genesis tooling, JSON-RPC — and the masternode daemon
 * that wires them, and the local devnet of daemon processes.
 */
export * from '../core/index.ts'
export * from '../core/net/index.ts'
export * from './config/index.ts'
export * from './crypto/index.ts'
export * from './daemon/index.ts'
export * from './datadir/index.ts'
export * from './devnet/index.ts'
export { monotonicClock, nodeTimers, timersOn, wallClock, wallTimers } from './engine-ports.ts'
export * from './errors.ts'
export * from './genesis/index.ts'
export * from './net/host.ts'
export * from './net/peer-book-file.ts'
export {
  type CommitteeMemberInfo,
  type ConsensusInfo,
  type ControlNode,
  type Credentials,
  chainMethods,
  controlMethods,
  EngineRpcNode,
  type EngineRpcNodeOptions,
  type FinalityStatus,
  type NetworkInfo,
  type NetworkNode,
  networkMethods,
  nodeRegistry,
  type PeerInfo,
  RemoteRpcError,
  type RpcCall,
  RpcDispatcher,
  type RpcMethod,
  type RpcNode,
  RpcRegistry,
  type RpcServer,
  type RpcServerOptions,
  readCookie,
  rpcCall,
  rpcMethod,
  startRpcServer,
} from './rpc/index.ts'
export * from './storage/index.ts'
