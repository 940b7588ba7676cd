/**
 * Every error code of the project in one table: the error class (domain) that throws it, the
 * JSON-RPC error code it maps to (bitcoind's numbers, for the daemon's RPC) and what it means.
 * Codes are unique across the project by construction — they are this object's keys — and each
 * error class's code type is derived from the table (errors.ts), so a code that is not listed
 * here does not compile. docs/ERRORS.md shows the same table; a test keeps the two in step.
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

const { MISC_ERROR, TYPE_ERROR, INVALID_ADDRESS_OR_KEY, INVALID_PARAMETER, DATABASE_ERROR } =
  RpcErrorCode
const { DESERIALIZATION_ERROR, VERIFY_ERROR, VERIFY_REJECTED, VERIFY_ALREADY_IN_CHAIN } =
  RpcErrorCode
const { PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR } =
  RpcErrorCode

export const ERROR_CODES = {
  // ── crypto ──
  PUBLIC_KEY_LENGTH: {
    domain: 'crypto',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'A public key that is not 32 bytes.',
  },
  PUBLIC_KEY_NOT_CANONICAL: {
    domain: 'crypto',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning:
      'A key that is not the canonical encoding of its point (y ≥ p, or x = 0 signed negative).',
  },
  PUBLIC_KEY_SMALL_ORDER: {
    domain: 'crypto',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning:
      'A key of small order: one of the eight torsion points, which "sign" for anyone under ZIP215.',
  },
  SECRET_KEY_LENGTH: {
    domain: 'crypto',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'A secret key that is not 32 bytes.',
  },
  SIGNATURE_LENGTH: {
    domain: 'crypto',
    rpc: DESERIALIZATION_ERROR,
    meaning: 'A signature that is not 64 bytes.',
  },
  SIGNATURE_S_NOT_CANONICAL: {
    domain: 'crypto',
    rpc: VERIFY_REJECTED,
    meaning: 'A signature whose S is not below the group order.',
  },
  SIGNATURE_INVALID: {
    domain: 'crypto',
    rpc: VERIFY_REJECTED,
    meaning: 'A signature that does not verify.',
  },
  // ── encoding ──
  TRUNCATED: {
    domain: 'encoding',
    rpc: DESERIALIZATION_ERROR,
    meaning: 'The bytes end before the value does.',
  },
  TRAILING_BYTES: {
    domain: 'encoding',
    rpc: DESERIALIZATION_ERROR,
    meaning: 'Bytes left over after the value (every value has exactly one encoding).',
  },
  OUT_OF_RANGE: {
    domain: 'encoding',
    rpc: DESERIALIZATION_ERROR,
    meaning: 'A number outside the range its field allows.',
  },
  LIMIT_EXCEEDED: {
    domain: 'encoding',
    rpc: DESERIALIZATION_ERROR,
    meaning: "A length or count above its field's limit.",
  },
  INVALID_VALUE: {
    domain: 'encoding',
    rpc: DESERIALIZATION_ERROR,
    meaning: 'A value its field does not allow (an unknown kind, a wrong version, a bad flag).',
  },
  HEX: {
    domain: 'encoding',
    rpc: DESERIALIZATION_ERROR,
    meaning: 'Text that is not even-length lowercase or uppercase hex.',
  },
  // ── amount ──
  AMOUNT_FORMAT: {
    domain: 'amount',
    rpc: TYPE_ERROR,
    meaning: 'Amount text that is not a decimal number.',
  },
  AMOUNT_PRECISION: { domain: 'amount', rpc: TYPE_ERROR, meaning: 'More than 8 decimal places.' },
  AMOUNT_NEGATIVE: { domain: 'amount', rpc: TYPE_ERROR, meaning: 'A negative amount.' },
  AMOUNT_OVERFLOW: { domain: 'amount', rpc: TYPE_ERROR, meaning: 'An amount above MAX_AMOUNT.' },
  // ── address ──
  ADDRESS_PREFIX: {
    domain: 'address',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'An address that does not start with "TIME".',
  },
  ADDRESS_NETWORK: {
    domain: 'address',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'An address of another network (1 mainnet, 0 testnet and devnet).',
  },
  ADDRESS_BASE58: {
    domain: 'address',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'A character outside the base58 alphabet.',
  },
  ADDRESS_LENGTH: {
    domain: 'address',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'A payload that is not 20 bytes plus a 4-byte checksum.',
  },
  ADDRESS_CHECKSUM: {
    domain: 'address',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'A checksum that does not match the payload.',
  },
  // ── transaction ──
  TX_NO_INPUTS: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'A transaction without inputs.',
  },
  TX_NO_OUTPUTS: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'A transaction without outputs.',
  },
  TX_TOO_MANY_INPUTS: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'More inputs than a transaction may have.',
  },
  TX_TOO_MANY_OUTPUTS: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'More outputs than a transaction may have.',
  },
  TX_TOO_LARGE: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'An encoding above the maximum transaction size.',
  },
  TX_DUPLICATE_INPUT: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'One outpoint spent twice by one transaction.',
  },
  TX_OUTPUT_VALUE: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'An output of zero or above MAX_AMOUNT.',
  },
  TX_OUTPUT_TOTAL: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'Outputs totalling more than MAX_AMOUNT.',
  },
  TX_VERSION: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'A transaction version this node does not know.',
  },
  TX_INPUT_INDEX: {
    domain: 'transaction',
    rpc: INVALID_PARAMETER,
    meaning: 'An input index outside the transaction (signing).',
  },
  TX_SIGNATURE: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'An input signature that does not verify.',
  },
  TX_KEY_MISMATCH: {
    domain: 'transaction',
    rpc: INVALID_PARAMETER,
    meaning: 'A secret key that does not belong to the input it signs (signing).',
  },
  TX_WEAK_KEY: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'An input key or masternode key that is not strong (docs/PROTOCOL.md §3.1).',
  },
  TX_PAYLOAD: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning:
      'A special-transaction payload that breaks a context-free rule (e.g. its collateral output).',
  },
  TX_PAYLOAD_SIGNATURE: {
    domain: 'transaction',
    rpc: VERIFY_REJECTED,
    meaning: 'A registration or deregistration proof that does not verify for this network.',
  },
  // ── ledger ──
  LEDGER_MISSING_INPUT: {
    domain: 'ledger',
    rpc: VERIFY_ERROR,
    meaning:
      "An input's outpoint is not in the UTXO set (a parent not seen yet: defer, never reject).",
  },
  LEDGER_CONFLICT: {
    domain: 'ledger',
    rpc: VERIFY_REJECTED,
    meaning: 'An input is locked or spent by another, named transaction.',
  },
  LEDGER_INPUT_KEY: {
    domain: 'ledger',
    rpc: VERIFY_REJECTED,
    meaning: "An input's public key does not hash to the address its output pays to.",
  },
  LEDGER_INSUFFICIENT_FUNDS: {
    domain: 'ledger',
    rpc: VERIFY_REJECTED,
    meaning: 'Outputs worth more than the inputs.',
  },
  LEDGER_FEE_TOO_LOW: {
    domain: 'ledger',
    rpc: VERIFY_REJECTED,
    meaning: 'A fee below the minimum (0.01 TIME).',
  },
  LEDGER_DUST: {
    domain: 'ledger',
    rpc: VERIFY_REJECTED,
    meaning: 'An output below the dust limit (1,000 units).',
  },
  LEDGER_TRANSITION: {
    domain: 'ledger',
    rpc: MISC_ERROR,
    meaning:
      'A state change that would move backwards or skip the lock (a bug or a bad certificate).',
  },
  LEDGER_DOUBLE_FINALITY: {
    domain: 'ledger',
    rpc: MISC_ERROR,
    meaning:
      'Two certificates for conflicting transactions: more than a third of the weight is Byzantine.',
  },
  LEDGER_UNKNOWN_TX: {
    domain: 'ledger',
    rpc: INVALID_ADDRESS_OR_KEY,
    meaning: 'No such transaction in the mempool.',
  },
  LEDGER_GENESIS_INVALID: {
    domain: 'ledger',
    rpc: INVALID_PARAMETER,
    meaning: 'A genesis allocation with a bad output, or outputs totalling more than MAX_AMOUNT.',
  },
  MEMPOOL_FULL: {
    domain: 'ledger',
    rpc: VERIFY_REJECTED,
    meaning: 'The mempool is full of transactions paying at least this fee rate.',
  },
  MEMPOOL_DUPLICATE: {
    domain: 'ledger',
    rpc: VERIFY_ALREADY_IN_CHAIN,
    meaning: 'The transaction is already in the mempool.',
  },
  // ── consensus ──
  COMMITTEE_INVALID: {
    domain: 'consensus',
    rpc: INVALID_PARAMETER,
    meaning:
      'A committee that breaks a rule (duplicate or weak member keys, below the minimum size).',
  },
  COMMITTEE_WEIGHT_LIMIT: {
    domain: 'consensus',
    rpc: INVALID_PARAMETER,
    meaning: "A member's weight or a committee's total weight above its bound.",
  },
  COMMITTEE_PROOF_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A committee proof whose steps do not chain from genesis.',
  },
  MERKLE_EMPTY: {
    domain: 'consensus',
    rpc: INVALID_PARAMETER,
    meaning: 'A Merkle tree over no leaves.',
  },
  MERKLE_INDEX: {
    domain: 'consensus',
    rpc: INVALID_PARAMETER,
    meaning: 'A leaf index outside the tree.',
  },
  BATCH_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A vote batch whose structure breaks a rule (leaf count, root, a weak voter key).',
  },
  BATCH_SIGNATURE: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A vote batch whose signature does not verify.',
  },
  BATCH_NOT_MEMBER: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning:
      'A vote batch of the current or previous epoch signed by a key outside that committee.',
  },
  CERT_EPOCH_MISMATCH: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A certificate checked against the committee of another epoch.',
  },
  CERT_MIXED_EPOCHS: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'Certificate entries from batches of different epochs.',
  },
  CERT_STALE_EPOCH: {
    domain: 'consensus',
    rpc: VERIFY_ERROR,
    meaning: 'A certificate of neither the current nor the previous epoch.',
  },
  CERT_UNKNOWN_VOTER: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: "An entry by a key outside the certificate epoch's committee.",
  },
  CERT_DUPLICATE_VOTER: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'Two entries by one voter.',
  },
  CERT_VOTER_KEY: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'An entry whose voter key is not strong (docs/PROTOCOL.md §3.1).',
  },
  CERT_LEAF_INDEX: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'An entry whose leaf index is outside its batch.',
  },
  CERT_PATH_LENGTH: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A Merkle path of the wrong length for its batch.',
  },
  CERT_ROOT_MISMATCH: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning:
      'The certified leaf is not in the signed batch (or the certificate is for another transaction).',
  },
  CERT_SIGNATURE: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: "An entry's batch signature does not verify on this network.",
  },
  CERT_INSUFFICIENT_WEIGHT: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'Entries short of the quorum weight.',
  },
  BLOCK_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A block that breaks a rule (header, transactions, reward, carry set).',
  },
  BLOCK_NOT_EXTENDING: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A certified block at our next height that does not extend our tip.',
  },
  BLOCK_NOT_FINAL_HERE: {
    domain: 'consensus',
    rpc: VERIFY_ERROR,
    meaning:
      "A proposed block spends a transaction not final here (we may lack a parent): not the sender's fault.",
  },
  BLOCK_INPUT_UNKNOWN: {
    domain: 'consensus',
    rpc: VERIFY_ERROR,
    meaning:
      "A proposed block spends an output unknown here (we may lack a parent): not the sender's fault.",
  },
  BLOCK_COMMITMENT_MISMATCH: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning:
      "A block whose header's UTXO-set commitment is not the one applying the block to the chain's UTXO set yields.",
  },
  BLOCK_OWN_REPORT_MISSING: {
    domain: 'consensus',
    rpc: VERIFY_ERROR,
    meaning:
      "A committee-changing proposal leaves out this node's lock report (it may have been late): not the sender's fault.",
  },
  PROPOSAL_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A proposal whose signature or certificates do not verify.',
  },
  PROPOSAL_WRONG_LEADER: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A proposal for (height, attempt) signed by a member who is not its leader.',
  },
  LOCK_REPORT_INVALID: {
    domain: 'consensus',
    rpc: VERIFY_REJECTED,
    meaning: 'A lock report by a non-member, or whose transactions are not the ones it names.',
  },
  // ── evidence ──
  EVIDENCE_INVALID: {
    domain: 'evidence',
    rpc: VERIFY_REJECTED,
    meaning: 'Equivocation evidence that does not prove two conflicting signed votes.',
  },
  // ── handshake ──
  HANDSHAKE_VERSION: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning: 'A peer that speaks another handshake version: disconnected, not banned.',
  },
  HANDSHAKE_WRONG_NETWORK: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning: 'A peer whose handshake names another network: disconnected and banned.',
  },
  HANDSHAKE_WRONG_GENESIS: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning:
      "A peer whose genesis hash is not this node's (another chain, perhaps of the same name): disconnected and banned.",
  },
  HANDSHAKE_BINDING: {
    domain: 'handshake',
    rpc: VERIFY_REJECTED,
    meaning:
      "A masternode handshake whose key is weak or whose signature does not bind that key to the peer's libp2p id: disconnected and banned.",
  },
  HANDSHAKE_TIMEOUT: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning: 'No handshake within the deadline (10 s by default): disconnected.',
  },
  HANDSHAKE_FAILED: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning:
      "The handshake stream failed (refused, reset, or closed before the peer's message): disconnected.",
  },
  HANDSHAKE_BANNED: {
    domain: 'handshake',
    rpc: MISC_ERROR,
    meaning: 'A connection from or to a peer that is still banned: closed at once.',
  },
  // ── link ──
  LINK_STREAM_REFUSED: {
    domain: 'link',
    rpc: MISC_ERROR,
    meaning:
      'A consensus stream refused and reset: its peer is not a handshaken masternode, or the guest links are full.',
  },
  LINK_WRONG_PEER: {
    domain: 'link',
    rpc: MISC_ERROR,
    meaning:
      "A committee member's address led to a peer proving another masternode key, or none: not linked, dialled again later.",
  },
  LINK_NO_ADDRESS: {
    domain: 'link',
    rpc: MISC_ERROR,
    meaning:
      'No address is known for a committee member (none in the peer book, never connected): it is tried again later.',
  },
  LINK_BROKEN: {
    domain: 'link',
    rpc: MISC_ERROR,
    meaning:
      'A committee link failed: its dial or stream failed, it closed, or it did not drain or answer pings in time; dialled again with backoff.',
  },
  // ── peer ──
  PEER_REQUEST_INVALID: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning: 'A request for something no honest node asks for (a height that cannot exist).',
  },
  PEER_ORPHANS_LIMIT: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning: "Too many of a peer's transactions wait for unknown parents at once.",
  },
  PEER_ORPHAN_PARENTS_MISSING: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning: "The parents a peer's transaction named never appeared within the orphan deadline.",
  },
  PEER_PENALIZED: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning:
      "A peer whose message was judged Fatal (by a protocol service or the engine): banned; the message names the judging error's code.",
  },
  PEER_EXCHANGE_INVALID: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning:
      'A peer-exchange answer with more peers than asked for, a peer id that is no multihash of a key, a malformed multiaddr, or an address of another peer: dropped whole.',
  },
  PEER_RATE_LIMITED: {
    domain: 'peer',
    rpc: MISC_ERROR,
    meaning:
      'A peer that sent more frames of one class than its token bucket allows (max_requests_per_second): the frames over it are dropped, and it is charged a MidToleranceError at most once per class and interval.',
  },
  // ── protocol ──
  PROTOCOL_ID_INVALID: {
    domain: 'protocol',
    rpc: INVALID_PARAMETER,
    meaning: 'A protocol id asked for with an unknown network, name or version (local misuse).',
  },
  PROTOCOL_FRAME_TOO_LARGE: {
    domain: 'protocol',
    rpc: DESERIALIZATION_ERROR,
    meaning: "A frame longer than its protocol's maxDataLength, refused before it is buffered.",
  },
  PROTOCOL_UNEXPECTED_MESSAGE: {
    domain: 'protocol',
    rpc: DESERIALIZATION_ERROR,
    meaning:
      'A well-formed message that its protocol or its direction does not carry (e.g. a block on the tx protocol).',
  },
  // ── sync ──
  SYNC_UNAVAILABLE: {
    domain: 'sync',
    rpc: MISC_ERROR,
    meaning:
      'A sync request the peer cannot answer (blocks above its tip, a snapshot at a height it does not keep): not its fault; another peer is asked.',
  },
  SYNC_REQUEST_FAILED: {
    domain: 'sync',
    rpc: MISC_ERROR,
    meaning:
      'A sync request that failed: the stream was refused, reset or closed early, or no answer came within the timeout; another peer is asked (no penalty).',
  },
  SYNC_BAD_ANSWER: {
    domain: 'sync',
    rpc: DESERIALIZATION_ERROR,
    meaning:
      'A sync answer that is not what was asked: blocks from another height or not consecutive, or a snapshot chunk of another height or index, out of outpoint order, or at odds with the chunks before it.',
  },
  SYNC_SNAPSHOT_MISMATCH: {
    domain: 'sync',
    rpc: VERIFY_REJECTED,
    meaning:
      'A UTXO snapshot whose outputs do not hash to the utxoCommitment of its certified block: dropped, and the peer that served it whole is penalized.',
  },
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
