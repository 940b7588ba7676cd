/**
 * The Node entry (`timecoin/node`): the isomorphic core plus Node adapters — LevelDB storage, the
 * libp2p host, settings, the data directory, genesis tooling and JSON-RPC (later the masternode
 * daemon that wires them).
 */
export * from '../core/index.ts'
export * from '../core/net/index.ts'
export * from './config/index.ts'
export * from './crypto/index.ts'
export * from './datadir/index.ts'
export { monotonicClock, nodeTimers, timersOn, wallClock, wallTimers } from './engine-ports.ts'
export * from './errors.ts'
export * from './genesis/index.ts'
export * from './net/host.ts'
export * from './net/peer-book-file.ts'
export {
  type ControlNode,
  type Credentials,
  chainMethods,
  controlMethods,
  EngineRpcNode,
  type EngineRpcNodeOptions,
  type FinalityStatus,
  nodeRegistry,
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
