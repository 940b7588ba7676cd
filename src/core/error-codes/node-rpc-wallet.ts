/**
 * Error codes of the node around the engine: storage, the wallet, configuration, the data
 * directory, genesis and the JSON-RPC server and client.
 *
 * One part of the project's one table of error codes; ../error-codes.ts composes the parts and
 * says what holds across them (codes unique, each entry's fields, docs/ERRORS.md in step).
 */
import { type ErrorCodeInfo, RpcErrorCode } from './types.ts'

const {
  DATABASE_ERROR,
  DESERIALIZATION_ERROR,
  INTERNAL_ERROR,
  INVALID_ADDRESS_OR_KEY,
  INVALID_PARAMETER,
  INVALID_PARAMS,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  MISC_ERROR,
  PARSE_ERROR,
  VERIFY_REJECTED,
} = RpcErrorCode

export const NODE_RPC_WALLET_CODES = {
  // ── storage ──
  STORE_CLOSED: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: 'The store was closed (or the browser terminated the database) before the operation.',
  },
  STORE_LOCKED: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning:
      'The LevelDB directory is held open by another process (or another store in this one).',
  },
  STORE_OPEN_FAILED: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: 'The backend could not open the store; the cause holds its error.',
  },
  STORE_IO: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: 'The backend failed a read or write; the cause holds its error.',
  },
  STORE_INVALID_KEY: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: 'A key that is not a non-empty Uint8Array.',
  },
  STORE_INVALID_VALUE: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: 'A value that is not a Uint8Array.',
  },
  STORE_INVALID_OP: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: "A batch operation that is not { type: 'put', key, value } or { type: 'del', key }.",
  },
  STORE_INVALID_OPTION: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: 'A malformed read, write or scan option (e.g. both gt and gte).',
  },
  STORE_VERSION_MISMATCH: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: "The store's layout version is not this software's: it would be misread.",
  },
  STORE_VERSION_MISSING: {
    domain: 'storage',
    rpc: DATABASE_ERROR,
    meaning: 'A store with records but no version record: written before versioning, or not ours.',
  },
  // ── wallet ──
  WALLET_TOO_MANY_ADDRESSES: {
    domain: 'wallet',
    rpc: INVALID_PARAMETER,
    meaning:
      "A subscribe that would take a wallet's stream past the masternode's address limit (a setting): refused whole, nothing subscribed.",
  },
  WALLET_TOO_MANY_PEERS: {
    domain: 'wallet',
    rpc: MISC_ERROR,
    meaning:
      'A wallet stream opened while the masternode serves its limit of wallets (a setting): told so in an Error frame with request id 0, then closed.',
  },
  WALLET_SLOW_SUBSCRIBER: {
    domain: 'wallet',
    rpc: MISC_ERROR,
    meaning:
      "A wallet whose stream did not drain: its queued answers and pushes passed their byte bound, or a write waited past the protocol's timeout; the stream is reset.",
  },
  WALLET_TOO_MANY_REQUESTS: {
    domain: 'wallet',
    rpc: INVALID_PARAMETER,
    meaning: 'More wallet requests in flight than the light client allows (local misuse).',
  },
  WALLET_UNKNOWN_REQUEST: {
    domain: 'wallet',
    rpc: MISC_ERROR,
    meaning: 'A wallet answer naming no request in flight on its stream.',
  },
  WALLET_REQUEST_TIMEOUT: {
    domain: 'wallet',
    rpc: MISC_ERROR,
    meaning: "A wallet request not answered within the protocol's timeout (30 s).",
  },
  WALLET_DISCONNECTED: {
    domain: 'wallet',
    rpc: MISC_ERROR,
    meaning: 'A wallet request still in flight when its stream closed.',
  },
  WALLET_PROOF_MISSING: {
    domain: 'wallet',
    rpc: VERIFY_REJECTED,
    meaning:
      'A final state (SpentFinalized, Confirmed) sent without the proof a light client checks it by: refused.',
  },
  WALLET_PROOF_INVALID: {
    domain: 'wallet',
    rpc: VERIFY_REJECTED,
    meaning:
      "A wallet output whose proof does not back it: another transaction, an output or spend the transaction does not make, a path that misses the block's root, a reward the block does not pay, or a state of another height.",
  },
  WALLET_INSUFFICIENT_FUNDS: {
    domain: 'wallet',
    rpc: RpcErrorCode.WALLET_INSUFFICIENT_FUNDS,
    meaning:
      "The node wallet's spendable outputs do not cover the amount and the fee (outputs locked, pending or collateral are not spendable).",
  },
  WALLET_FILE_INVALID: {
    domain: 'wallet',
    rpc: RpcErrorCode.WALLET_ERROR,
    meaning:
      "The node wallet's file is malformed, of another network, or readable by others than its owner: the node does not start with it.",
  },
  WALLET_MNEMONIC_INVALID: {
    domain: 'wallet',
    rpc: RpcErrorCode.WALLET_ERROR,
    meaning: 'A BIP39 mnemonic whose words or checksum are not valid (English word list).',
  },
  WALLET_KEY_UNKNOWN: {
    domain: 'wallet',
    rpc: RpcErrorCode.WALLET_ERROR,
    meaning:
      'A wallet operation that needs a key the node does not hold: no masternode key to register or deregister, or a transaction spending an output that is not the wallet’s.',
  },
  // ── config ──
  CONFIG_UNKNOWN_SETTING: {
    domain: 'config',
    rpc: INVALID_PARAMETER,
    meaning:
      'A setting this node does not know, in time.conf (named with its file and line), on the command line or in a section header: refused, never ignored.',
  },
  CONFIG_INVALID_SETTING: {
    domain: 'config',
    rpc: INVALID_PARAMETER,
    meaning:
      'A setting whose value is malformed or out of range (a port that is not a number, a boolean that is not 0 or 1, two settings that exclude each other), or a time.conf line that is not key=value: refused with its file and line.',
  },
  CONFIG_FILE_UNREADABLE: {
    domain: 'config',
    rpc: MISC_ERROR,
    meaning:
      'A configuration file named on the command line that does not exist, or one that cannot be read.',
  },
  CONFIG_MISSING_SETTING: {
    domain: 'config',
    rpc: MISC_ERROR,
    meaning:
      'A setting the node cannot start without is not given (a masternode or full node needs the genesis file of its network): the message names it and where to give it.',
  },
  // ── datadir ──
  DATADIR_LOCKED: {
    domain: 'datadir',
    rpc: MISC_ERROR,
    meaning:
      'The data directory is in use by another timecoin process (it holds the LevelDB lock): a second instance is refused.',
  },
  DATADIR_UNUSABLE: {
    domain: 'datadir',
    rpc: MISC_ERROR,
    meaning:
      'A data directory that cannot be created or used (a file in its place, no permission).',
  },
  KEY_FILE_INVALID: {
    domain: 'datadir',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning:
      "A key file that is missing, unreadable, not of the documented shape, readable by other users, or whose public key is not its secret key's.",
  },
  // ── genesis ──
  GENESIS_FORMAT: {
    domain: 'genesis',
    rpc: DESERIALIZATION_ERROR,
    meaning:
      'A genesis file that is not JSON of the documented shape (a missing or unknown field, a value of the wrong type).',
  },
  GENESIS_INVALID: {
    domain: 'genesis',
    rpc: INVALID_PARAMETER,
    meaning:
      "A genesis that breaks a rule: an address of another network, a committee below its minimum, a minimum below the network's, weight granted directly outside devnet, a bad allocation.",
  },
  GENESIS_HASH_MISMATCH: {
    domain: 'genesis',
    rpc: INVALID_PARAMETER,
    meaning:
      'A genesis file whose recorded hash is not the hash of its contents (edited after it was made), or not the hash that was expected.',
  },
  // ── rpc ──
  RPC_PARSE_ERROR: {
    domain: 'rpc',
    rpc: PARSE_ERROR,
    meaning: 'A JSON-RPC request body that is not JSON.',
  },
  RPC_INVALID_REQUEST: {
    domain: 'rpc',
    rpc: INVALID_REQUEST,
    meaning:
      'A JSON-RPC request that is not a request object (no method name, params neither array nor object, an empty batch or one over the limit).',
  },
  RPC_METHOD_NOT_FOUND: {
    domain: 'rpc',
    rpc: METHOD_NOT_FOUND,
    meaning: 'A JSON-RPC method this node does not serve.',
  },
  RPC_INVALID_PARAMS: {
    domain: 'rpc',
    rpc: INVALID_PARAMS,
    meaning:
      'JSON-RPC params that do not fit the method: too many or too few, a value of the wrong type or form, an unknown named parameter.',
  },
  RPC_INVALID_PARAMETER: {
    domain: 'rpc',
    rpc: INVALID_PARAMETER,
    meaning:
      "A well-formed parameter a method cannot use (bitcoind's -8): an amount at or below zero, below dust or not above the fee it must pay, a masternode key already in the committee or not in it.",
  },
  RPC_BODY_TOO_LARGE: {
    domain: 'rpc',
    rpc: INVALID_REQUEST,
    meaning:
      'A JSON-RPC request body over the size limit: refused while it is read (HTTP 413), before it is parsed.',
  },
  RPC_NOT_FOUND: {
    domain: 'rpc',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'No block, transaction or output with that hash, height or outpoint here.',
  },
  RPC_INTERNAL_ERROR: {
    domain: 'rpc',
    rpc: INTERNAL_ERROR,
    meaning:
      "A JSON-RPC method failed with an error that is not one of the project's typed errors (a bug): reported, nothing else changes.",
  },
  RPC_UNAUTHORIZED: {
    domain: 'rpc',
    rpc: MISC_ERROR,
    meaning:
      'The RPC server refused the client: wrong rpcuser/rpcpassword or cookie (HTTP 401), or an address rpcallowip does not allow (HTTP 403).',
  },
  RPC_CONNECT_FAILED: {
    domain: 'rpc',
    rpc: MISC_ERROR,
    meaning:
      'The RPC client could not reach the server, found no credentials (no cookie file and no rpcpassword), or got an answer that is not JSON-RPC.',
  },
  RPC_INVALID_BAN_TARGET: {
    domain: 'rpc',
    rpc: RpcErrorCode.CLIENT_INVALID_IP_OR_SUBNET,
    meaning:
      'setban of something that is no IP address, subnet or peer id, or a remove of a ban that is not there.',
  },
  RPC_ALREADY_BANNED: {
    domain: 'rpc',
    rpc: RpcErrorCode.CLIENT_NODE_ALREADY_ADDED,
    meaning: 'setban add of an address, subnet or peer id that is banned already.',
  },
  RPC_BAN_TIME_PAST: {
    domain: 'rpc',
    rpc: RpcErrorCode.INVALID_PARAMETER,
    meaning: 'setban with an absolute ban time that is not in the future.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
