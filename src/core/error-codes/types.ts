/**
 * What every part of the error-code table shares: bitcoind's JSON-RPC error codes, the error
 * domains (one per error class) and the shape of a row; and the type-level check that keeps codes
 * unique when ../error-codes.ts composes the parts (a code in two parts does not compile).
 */

/** bitcoind's JSON-RPC error codes (src/rpc/protocol.h), by name. */
export const RpcErrorCode = {
  MISC_ERROR: -1,
  WALLET_ERROR: -4,
  TYPE_ERROR: -3,
  INVALID_ADDRESS_OR_KEY: -5,
  WALLET_INSUFFICIENT_FUNDS: -6,
  INVALID_PARAMETER: -8,
  DATABASE_ERROR: -20,
  CLIENT_NODE_ALREADY_ADDED: -23,
  CLIENT_INVALID_IP_OR_SUBNET: -30,
  DESERIALIZATION_ERROR: -22,
  VERIFY_ERROR: -25,
  VERIFY_REJECTED: -26,
  VERIFY_ALREADY_IN_CHAIN: -27,
  // JSON-RPC 2.0's own codes (bitcoind's RPC_PARSE_ERROR … RPC_INTERNAL_ERROR).
  INTERNAL_ERROR: -32603,
  INVALID_PARAMS: -32602,
  METHOD_NOT_FOUND: -32601,
  INVALID_REQUEST: -32600,
  PARSE_ERROR: -32700,
} as const
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode]

export type ErrorDomain =
  | 'crypto'
  | 'encoding'
  | 'amount'
  | 'address'
  | 'transaction'
  | 'ledger'
  | 'consensus'
  | 'evidence'
  | 'handshake'
  | 'link'
  | 'peer'
  | 'protocol'
  | 'sync'
  | 'storage'
  | 'wallet'
  | 'config'
  | 'datadir'
  | 'genesis'
  | 'rpc'

export interface ErrorCodeInfo {
  readonly domain: ErrorDomain
  readonly rpc: RpcErrorCode
  readonly meaning: string
}

/** The keys of each member of a union (`keyof` of a union gives only the keys all share). */
type KeysOfEach<U> = U extends unknown ? keyof U : never

/** The codes that are keys of more than one part; `never` when the parts are disjoint. */
export type DuplicateCodes<Parts extends readonly object[]> = Parts extends readonly [
  infer Head,
  ...infer Tail extends readonly object[],
]
  ? (keyof Head & KeysOfEach<Tail[number]>) | DuplicateCodes<Tail>
  : never

/**
 * Resolves (to `unknown`, so it can join any `satisfies`) only when `Duplicates` is `never`; a
 * duplicate code fails to compile with "Type '"THE_CODE"' does not satisfy the constraint 'never'".
 */
export type NoDuplicateCodes<Duplicates extends never> = [Duplicates] extends [never]
  ? unknown
  : never
