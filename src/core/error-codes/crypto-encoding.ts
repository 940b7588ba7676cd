/**
 * Error codes of the crypto, encoding, amount and address domains: keys, signatures and hashes,
 * the byte coders, amounts of TIME and addresses.
 *
 * One part of the project's one table of error codes; ../error-codes.ts composes the parts and
 * says what holds across them (codes unique, each entry's fields, docs/ERRORS.md in step).
 */
import { type ErrorCodeInfo, RpcErrorCode } from './types.ts'

const { DESERIALIZATION_ERROR, INVALID_ADDRESS_OR_KEY, TYPE_ERROR, VERIFY_REJECTED } = RpcErrorCode

export const CRYPTO_ENCODING_CODES = {
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
} as const satisfies Record<string, ErrorCodeInfo>
