/**
 * Public face of the JSON-RPC framework: typed parameters and the method registry, the
 * JSON-RPC 2.0 dispatcher (batches, bitcoind's error codes), the HTTP server (auth, cookie,
 * bind and allow lists, body limit), the chain and control methods over the `RpcNode` interface,
 * its engine-backed implementation, the ban methods over the operator's ban list (banlist.json),
 * and the client.
 */
export {
  authorized,
  basicAuthorization,
  COOKIE_USER,
  type Credentials,
  readCookie,
  removeCookie,
  writeCookie,
} from './auth.ts'
export { BAN_FILE_NAME, BanFile, type BanFileLoad, type SavedBan } from './ban-file.ts'
export {
  BAN_CLOSE_TIMEOUT_MS,
  type BanEntry,
  BanList,
  type BanListInit,
  type BannableConnection,
  type BanTarget,
  type BlacklistSource,
  DEFAULT_MAX_BANS,
  parseBanTarget,
} from './ban-list.ts'
export { type BanMethodsOptions, banMethods } from './ban-methods.ts'
export {
  chainMethods,
  DEFAULT_FINALITY_WAIT_MS,
  finalityJson,
  MAX_FINALITY_WAIT_MS,
} from './chain-methods.ts'
export {
  DEFAULT_CLIENT_TIMEOUT_MS,
  RemoteRpcError,
  type RpcClientOptions,
  rpcCall,
} from './client.ts'
export { type ControlNode, controlMethods } from './control-methods.ts'
export {
  DEFAULT_MAX_BATCH,
  type DispatchOptions,
  errorObject,
  RpcDispatcher,
  type RpcErrorObject,
  toJson,
} from './dispatch.ts'
export { DEFAULT_MAX_WAITERS, EngineRpcNode, type EngineRpcNodeOptions } from './engine-node.ts'
export * from './json-views.ts'
export {
  type CommitteeMemberInfo,
  type ConsensusInfo,
  type NetworkInfo,
  type NetworkNode,
  networkMethods,
  type PeerInfo,
} from './network-methods.ts'
export { nodeRegistry } from './node-methods.ts'
export {
  type ArgsOf,
  boolean,
  hash32,
  hexBytes,
  integer,
  optional,
  type Param,
  type ParamType,
  param,
  readParams,
  text,
  txid,
} from './params.ts'
export {
  helpText,
  type RpcCall,
  type RpcMethod,
  RpcRegistry,
  rpcMethod,
  usage,
} from './registry.ts'
export type { FinalityStatus, MempoolView, RpcNode, TxLocation } from './rpc-node.ts'
export {
  type BoundAddress,
  clientAllowed,
  DEFAULT_AUTH_FAILURE_DELAY_MS,
  DEFAULT_RPC_MAX_BODY_BYTES,
  DEFAULT_RPC_MAX_CONNECTIONS,
  type RpcServer,
  type RpcServerOptions,
  startRpcServer,
} from './server.ts'
