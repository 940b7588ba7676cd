/**
 * Transaction ids: 32-byte domain-separated hashes, shown as lowercase hex in byte order
 * (no reversal, unlike Bitcoin's display convention).
 */
import { HASH_LENGTH } from '../crypto/sha256.ts'
import { bytesToHex, fromHex } from '../encoding/bytes.ts'
import { EncodingError } from '../errors.ts'

declare const txidBrand: unique symbol
export type Txid = Uint8Array & { readonly [txidBrand]: true }

export function asTxid(bytes: Uint8Array): Txid {
  if (!(bytes instanceof Uint8Array) || bytes.length !== HASH_LENGTH) {
    throw new EncodingError(
      'INVALID_VALUE',
      `txid must be ${HASH_LENGTH} bytes, got ${bytes?.length}`,
    )
  }
  return bytes as Txid
}

export function txidToHex(txid: Txid): string {
  return bytesToHex(txid)
}

export function txidFromHex(hex: string): Txid {
  return asTxid(fromHex(hex, HASH_LENGTH))
}
