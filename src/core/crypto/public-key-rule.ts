/**
 * The strong-key rule (docs/PROTOCOL.md §3.1). ZIP215 (§3) accepts signatures by small-order
 * public keys that their "holder" never made: with R = identity and S = 0, every one of the eight
 * small-order keys verifies for every message. So every key the protocol trusts — a transaction
 * input's key, a masternode key, a committee member's, a vote batch's or a certificate entry's
 * voter — must be *strong*: the canonical encoding of a point that is not of small order.
 *
 * Invariants: judged from the 32 bytes alone, with no point decompression (it runs on every
 * input of every transaction). An encoding is non-canonical when its y (the low 255 bits) is
 * ≥ p = 2^255 − 19, or when x = 0 (y = 1 or y = p − 1) and the sign bit is set; among canonical
 * encodings exactly the eight below are of small order (derived with noble in
 * test/unit/public-key-rule.test.ts). Bytes that are no curve point at all pass this rule: no
 * signature verifies under them on any backend, so they are inert (deciding that would need
 * decompression).
 */
import { fromHex } from '../encoding/bytes.ts'
import { CryptoError, PeerAction } from '../errors.ts'

/** The canonical encodings of the eight torsion points (orders 1, 2, 4, 4, 8, 8, 8, 8). */
export const SMALL_ORDER_KEYS: readonly string[] = Object.freeze([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
])

const KEY_LENGTH = 32

const SMALL_ORDER = SMALL_ORDER_KEYS.map((hex) => fromHex(hex, KEY_LENGTH))

/** Why a key is refused. */
export type WeakKeyCode =
  | 'PUBLIC_KEY_LENGTH'
  | 'PUBLIC_KEY_NOT_CANONICAL'
  | 'PUBLIC_KEY_SMALL_ORDER'

/** Whether bytes 1..30 of `key` all equal `byte`. */
function middleIs(key: Uint8Array, byte: number): boolean {
  for (let i = 1; i < 31; i++) if (key[i] !== byte) return false
  return true
}

function canonical(key: Uint8Array): boolean {
  const low = key[0]!
  const top = key[31]! & 0x7f
  // y ≥ p = 2^255 − 19: the low 255 bits are 0x7fff…ff followed by a low byte ≥ 0xed.
  if (top === 0x7f && low >= 0xed && middleIs(key, 0xff)) return false
  // x = 0 exactly when y = 1 or y = p − 1 (0x7fff…ffec); its sign bit must then be 0.
  if ((key[31]! & 0x80) === 0) return true
  if (top === 0x00 && low === 0x01) return !middleIs(key, 0x00)
  if (top === 0x7f && low === 0xec) return !middleIs(key, 0xff)
  return true
}

function smallOrder(key: Uint8Array): boolean {
  next: for (const s of SMALL_ORDER) {
    for (let i = 0; i < KEY_LENGTH; i++) if (key[i] !== s[i]) continue next
    return true
  }
  return false
}

/** Why `key` is not strong, or null when it is. Cheap: a few byte comparisons. */
export function keyWeakness(key: Uint8Array): WeakKeyCode | null {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) return 'PUBLIC_KEY_LENGTH'
  if (!canonical(key)) return 'PUBLIC_KEY_NOT_CANONICAL'
  return smallOrder(key) ? 'PUBLIC_KEY_SMALL_ORDER' : null
}

export function isStrongPublicKey(key: Uint8Array): boolean {
  return keyWeakness(key) === null
}

const REASONS: Readonly<Record<WeakKeyCode, string>> = {
  PUBLIC_KEY_LENGTH: `is not ${KEY_LENGTH} bytes`,
  PUBLIC_KEY_NOT_CANONICAL: 'is not a canonical point encoding',
  PUBLIC_KEY_SMALL_ORDER: 'is a small-order point (anyone can sign for it)',
}

/**
 * The typed error refusing `key` (named `what` in the message, low-tolerance for the peer that
 * sent it), or null when the key is strong. Callers wrap it as the cause of their own code.
 */
export function weakKeyError(key: Uint8Array, what = 'public key'): CryptoError | null {
  const code = keyWeakness(key)
  if (code === null) return null
  return new CryptoError(code, `${what} ${REASONS[code]}`, PeerAction.LowToleranceError)
}

/** Throws the CryptoError of `weakKeyError` unless `key` is strong. */
export function assertStrongPublicKey(key: Uint8Array, what?: string): void {
  const error = weakKeyError(key, what)
  if (error !== null) throw error
}
