/**
 * Wallet keys (DESIGN §2): a BIP39 mnemonic (English word list, checksum checked) gives a 64-byte
 * seed; SLIP-10 for ed25519 derives the secret keys from it along hardened paths only (ed25519 has
 * no public derivation), `m/44'/COIN_TYPE'/account'/0'/index'`. Pure and isomorphic: randomness
 * only through `generateMnemonic` (WebCrypto), no I/O. Invariants: every derived secret key is a
 * 32-byte RFC 8032 seed whose public key is strong (the clamped scalar guarantees it,
 * docs/PROTOCOL.md §3.1); a mnemonic that does not check is refused, never "repaired".
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha512 } from '@noble/hashes/sha2.js'
import * as bip39 from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { getPublicKey, type KeyPair } from '../crypto/ed25519.ts'
import { concatBytes, utf8ToBytes } from '../encoding/bytes.ts'
import { WalletError } from '../errors.ts'

/** The SLIP-44 coin type this project derives under (not registered; fixed here for good). */
export const COIN_TYPE = 0x54494d & 0x7fff_ffff
/** Hardened child offset. */
const HARDENED = 0x8000_0000
/** Derived keys per account the node wallet may use (an index bound, not a promise of use). */
export const MAX_KEY_INDEX = HARDENED - 1

/** A new 24-word mnemonic (256 bits of entropy). */
export function generateMnemonic(strength: 128 | 256 = 256): string {
  return bip39.generateMnemonic(wordlist, strength)
}

/** Whether `mnemonic` is BIP39 English with a valid checksum. */
export function isValidMnemonic(mnemonic: string): boolean {
  return bip39.validateMnemonic(normalize(mnemonic), wordlist)
}

function normalize(mnemonic: string): string {
  return mnemonic.normalize('NFKD').trim().split(/\s+/).join(' ')
}

/** The BIP39 seed of a mnemonic (and optional passphrase); refuses one that does not check. */
export function mnemonicToSeed(mnemonic: string, passphrase = ''): Uint8Array {
  const text = normalize(mnemonic)
  if (!bip39.validateMnemonic(text, wordlist))
    throw new WalletError(
      'WALLET_MNEMONIC_INVALID',
      'the mnemonic is not BIP39 English with a valid checksum',
    )
  return bip39.mnemonicToSeedSync(text, passphrase)
}

interface Node {
  readonly key: Uint8Array
  readonly chainCode: Uint8Array
}

function split(i: Uint8Array): Node {
  return { key: i.slice(0, 32), chainCode: i.slice(32, 64) }
}

/** SLIP-10 ed25519 master node. */
function master(seed: Uint8Array): Node {
  return split(hmac(sha512, utf8ToBytes('ed25519 seed'), seed))
}

/** SLIP-10 ed25519 hardened child `index` (index < 2^31; the hardened bit is added here). */
function child(parent: Node, index: number): Node {
  if (!Number.isInteger(index) || index < 0 || index > MAX_KEY_INDEX)
    throw new RangeError(`a derivation index is an integer in [0, ${MAX_KEY_INDEX}]`)
  const ser32 = new Uint8Array(4)
  new DataView(ser32.buffer).setUint32(0, index + HARDENED, false)
  const data = concatBytes(new Uint8Array([0]), parent.key, ser32)
  return split(hmac(sha512, parent.chainCode, data))
}

/** The secret key at a hardened path (each element < 2^31, hardened implicitly). */
export function deriveSecretKey(seed: Uint8Array, path: readonly number[]): Uint8Array {
  let node = master(seed)
  for (const index of path) node = child(node, index)
  return node.key
}

/** The path of key `index` of `account`: m/44'/COIN_TYPE'/account'/0'/index'. */
export function keyPath(account: number, index: number): number[] {
  return [44, COIN_TYPE, account, 0, index]
}

/** `path` in the usual text form (m/44'/…'). */
export function formatPath(path: readonly number[]): string {
  return ['m', ...path.map((i) => `${i}'`)].join('/')
}

/** Key `index` of `account` derived from a BIP39 seed. */
export function deriveKeyPair(seed: Uint8Array, account: number, index: number): KeyPair {
  const secretKey = deriveSecretKey(seed, keyPath(account, index))
  return { secretKey, publicKey: getPublicKey(secretKey) }
}
