/**
 * Addresses: "TIME" ‖ network digit ‖ base58(payload20 ‖ checksum4), where
 * payload = SHA-256(ed25519 public key)[0..20] and checksum = SHA-256(SHA-256(payload))[0..4].
 * Decoding distinguishes a bad prefix, a wrong network, bad base58, a wrong length and a bad
 * checksum, each with its own code.
 */
import { base58 } from '@scure/base'
import { PUBLIC_KEY_LENGTH } from '../crypto/ed25519.ts'
import { assertStrongPublicKey } from '../crypto/public-key-rule.ts'
import { sha256, sha256d } from '../crypto/sha256.ts'
import { concatBytes, equalBytes } from '../encoding/bytes.ts'
import { AddressError, CryptoError, PeerAction } from '../errors.ts'
import { addressDigit, type NetworkName } from './network.ts'

declare const addressBrand: unique symbol
declare const payloadBrand: unique symbol
/** A well-formed address string (checksum verified). */
export type Address = string & { readonly [addressBrand]: true }
/** The 20-byte hash an output pays to. */
export type AddressPayload = Uint8Array & { readonly [payloadBrand]: true }

export const ADDRESS_PREFIX = 'TIME'
export const ADDRESS_PAYLOAD_LENGTH = 20
const CHECKSUM_LENGTH = 4

export function asAddressPayload(bytes: Uint8Array): AddressPayload {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ADDRESS_PAYLOAD_LENGTH) {
    throw new AddressError(
      'ADDRESS_LENGTH',
      `address payload must be ${ADDRESS_PAYLOAD_LENGTH} bytes, got ${bytes?.length}`,
    )
  }
  return bytes as AddressPayload
}

export function addressPayloadFromPublicKey(publicKey: Uint8Array): AddressPayload {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new CryptoError('PUBLIC_KEY_LENGTH', `public key must be ${PUBLIC_KEY_LENGTH} bytes`)
  }
  return sha256(publicKey).slice(0, ADDRESS_PAYLOAD_LENGTH) as AddressPayload
}

function checksum(payload: Uint8Array): Uint8Array {
  return sha256d(payload).subarray(0, CHECKSUM_LENGTH)
}

export function encodeAddress(payload: Uint8Array, network: NetworkName): Address {
  const p = asAddressPayload(payload)
  return `${ADDRESS_PREFIX}${addressDigit(network)}${base58.encode(concatBytes(p, checksum(p)))}` as Address
}

/**
 * The text address of a key, for a wallet to show. Refuses a weak key (docs/PROTOCOL.md §3.1):
 * anyone could spend what is paid to it. Keys from `getPublicKey` are never weak.
 */
export function addressFromPublicKey(publicKey: Uint8Array, network: NetworkName): Address {
  assertStrongPublicKey(publicKey)
  return encodeAddress(addressPayloadFromPublicKey(publicKey), network)
}

export interface DecodedAddress {
  readonly address: Address
  readonly payload: AddressPayload
  /** 'mainnet' for TIME1…, 'test' for TIME0… (testnet and devnet share the digit). */
  readonly networkClass: 'mainnet' | 'test'
}

/**
 * Parses and verifies an address. With `network`, an address of another network class is an
 * ADDRESS_NETWORK error (so a testnet address is never paid from mainnet by mistake).
 */
export function decodeAddress(text: string, network?: NetworkName): DecodedAddress {
  const bad = (code: AddressError['code'], msg: string) =>
    new AddressError(code, msg, PeerAction.LowToleranceError)
  if (typeof text !== 'string' || !text.startsWith(ADDRESS_PREFIX)) {
    throw bad('ADDRESS_PREFIX', `address must start with "${ADDRESS_PREFIX}"`)
  }
  const digit = text.charAt(ADDRESS_PREFIX.length)
  if (digit !== '0' && digit !== '1') {
    throw bad('ADDRESS_NETWORK', `unknown network digit "${digit}" (expected 0 or 1)`)
  }
  const networkClass = digit === '1' ? 'mainnet' : 'test'
  if (network !== undefined && addressDigit(network) !== digit) {
    throw bad(
      'ADDRESS_NETWORK',
      `address is for ${networkClass === 'mainnet' ? 'mainnet' : 'testnet/devnet'}, not ${network}`,
    )
  }
  const body = text.slice(ADDRESS_PREFIX.length + 1)
  let raw: Uint8Array
  try {
    raw = base58.decode(body)
  } catch {
    throw bad('ADDRESS_BASE58', 'address body is not valid base58')
  }
  // One address, one spelling: refuse any body that does not re-encode to itself.
  if (base58.encode(raw) !== body) throw bad('ADDRESS_BASE58', 'address body is not canonical')
  if (raw.length !== ADDRESS_PAYLOAD_LENGTH + CHECKSUM_LENGTH) {
    throw bad('ADDRESS_LENGTH', `address body decodes to ${raw.length} bytes, expected 24`)
  }
  const payload = raw.slice(0, ADDRESS_PAYLOAD_LENGTH) as AddressPayload
  if (!equalBytes(checksum(payload), raw.subarray(ADDRESS_PAYLOAD_LENGTH))) {
    throw bad('ADDRESS_CHECKSUM', 'address checksum does not match (mistyped address?)')
  }
  return { address: text as Address, payload, networkClass }
}

export function isValidAddress(text: string, network?: NetworkName): boolean {
  try {
    decodeAddress(text, network)
    return true
  } catch {
    return false
  }
}
