/**
 * Error codes of the transaction and ledger domains: a transaction's own form and rules, and the
 * ledger that locks, spends and confirms outputs.
 *
 * One part of the project's one table of error codes; ../error-codes.ts composes the parts and
 * says what holds across them (codes unique, each entry's fields, docs/ERRORS.md in step).
 */
import { type ErrorCodeInfo, RpcErrorCode } from './types.ts'

const {
  INVALID_ADDRESS_OR_KEY,
  INVALID_PARAMETER,
  MISC_ERROR,
  VERIFY_ALREADY_IN_CHAIN,
  VERIFY_ERROR,
  VERIFY_REJECTED,
} = RpcErrorCode

export const TRANSACTION_LEDGER_CODES = {
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
} as const satisfies Record<string, ErrorCodeInfo>
