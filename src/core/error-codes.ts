/**
 * Every error code of the project in one table: the error class (domain) that throws it, the
 * JSON-RPC error code it maps to (bitcoind's numbers, for the daemon's RPC) and what it means.
 * The rows live in parts by domain under error-codes/; this file is the one place that composes
 * them. Codes are unique across the project by construction — they are this object's keys, and a
 * code in two parts (which the spread would silently overwrite) does not compile — and each error
 * class's code type is derived from the table (errors.ts), so a code that is not listed does not
 * compile. docs/ERRORS.md shows the same table, in this order; a test keeps the two in step.
 */
import { CONSENSUS_CODES } from './error-codes/consensus.ts'
import { CRYPTO_ENCODING_CODES } from './error-codes/crypto-encoding.ts'
import { NET_PROTOCOL_CODES } from './error-codes/net-protocol.ts'
import { NODE_RPC_WALLET_CODES } from './error-codes/node-rpc-wallet.ts'
import { TRANSACTION_LEDGER_CODES } from './error-codes/transaction-ledger.ts'
import {
  type DuplicateCodes,
  type ErrorCodeInfo,
  type ErrorDomain,
  type NoDuplicateCodes,
  RpcErrorCode,
} from './error-codes/types.ts'

export { type ErrorCodeInfo, type ErrorDomain, RpcErrorCode } from './error-codes/types.ts'

/** The parts, in table order; the check below needs every part the spread takes. */
type Parts = [
  typeof CRYPTO_ENCODING_CODES,
  typeof TRANSACTION_LEDGER_CODES,
  typeof CONSENSUS_CODES,
  typeof NET_PROTOCOL_CODES,
  typeof NODE_RPC_WALLET_CODES,
]

export const ERROR_CODES = {
  ...CRYPTO_ENCODING_CODES,
  ...TRANSACTION_LEDGER_CODES,
  ...CONSENSUS_CODES,
  ...NET_PROTOCOL_CODES,
  ...NODE_RPC_WALLET_CODES,
} as const satisfies Record<string, ErrorCodeInfo> & NoDuplicateCodes<DuplicateCodes<Parts>>

export type ErrorCode = keyof typeof ERROR_CODES

/** The codes of one domain (the code type of its error class). */
export type CodesOf<D extends ErrorDomain> = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K]['domain'] extends D ? K : never
}[ErrorCode]

/** The JSON-RPC error code for a project error code (MISC_ERROR for one not in the table). */
export function rpcErrorCode(code: string): RpcErrorCode {
  return Object.hasOwn(ERROR_CODES, code)
    ? ERROR_CODES[code as ErrorCode].rpc
    : RpcErrorCode.MISC_ERROR
}
