/**
 * The address payload of a public key, remembered: a spend check compares every input's key with
 * the address of the output it spends, and wallets spend from the same keys again and again, so
 * the SHA-256 behind each comparison was most of the check's time. Bounded: at most
 * `KEY_ADDRESS_ENTRIES` keys (anyone can send transactions with fresh keys), and a full cache
 * starts over. A remembered payload is the hash of exactly that key, so answers never change.
 */
import { bytes32Key } from '../encoding/bytes.ts'
import { type AddressPayload, addressPayloadFromPublicKey } from '../primitives/address.ts'

export const KEY_ADDRESS_ENTRIES = 4096

export class KeyAddresses {
  readonly #known = new Map<string, AddressPayload>()

  /** The payload of `publicKey`; a key of the wrong length throws as `addressPayloadFromPublicKey`. */
  of(publicKey: Uint8Array): AddressPayload {
    if (publicKey.length !== 32) return addressPayloadFromPublicKey(publicKey)
    const id = bytes32Key(publicKey)
    let payload = this.#known.get(id)
    if (payload === undefined) {
      payload = addressPayloadFromPublicKey(publicKey)
      if (this.#known.size >= KEY_ADDRESS_ENTRIES) this.#known.clear()
      this.#known.set(id, payload)
    }
    return payload
  }

  get size(): number {
    return this.#known.size
  }
}
